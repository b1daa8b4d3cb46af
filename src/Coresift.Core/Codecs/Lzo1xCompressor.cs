using System.Runtime.CompilerServices;

namespace Coresift.Codecs;

/// <summary>A greedy LZO1X-1 style compressor: one hash table of recent positions, 4-byte minimum matches.</summary>
/// <remarks>
/// Written from the LZO1X bitstream description (Linux Documentation/staging/lzo.rst). Inputs of any length are
/// accepted; matches reach back at most 49151 bytes. The table is reused across calls without clearing (see
/// <see cref="NextBase"/>). Not thread-safe: one instance per thread.
/// </remarks>
public sealed unsafe class Lzo1xCompressor
{
    /// <summary>The largest distance an LZO1X match can encode (M4: 16384 + 32767).</summary>
    internal const int MaxDistance = 0xBFFF;

    // 2^15 slots: on 4 KiB pages of code and data, fewer slots cost more in collisions than the larger table costs in
    // cache misses. Entries are 32-bit so that the table is cleared only every few hundred thousand pages: a 16-bit
    // table had to be cleared every 16 pages, which cost 5% of a -l -d 0 dump (and 14% of LZO's speed on its pages).
    private const int TableBits = 15;
    private const int SkipShift = 5;
    private const uint HashPrime = 0x9E3779B1u;
    private const int MinMatchInput = 20;

    private readonly int[] _table = new int[1 << TableBits];
    private int _base = MaxDistance + 1;

    /// <summary>Compresses src into one LZO1X stream in dst; returns its length, or -1 when dst is too small (Lzo1x.MaxCompressedLength always suffices).</summary>
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int n = src.Length;
        if (n > int.MaxValue / 2)
            return -1;
        fixed (byte* s0 = src)
        fixed (byte* d0 = dst)
        {
            var o = new LzoOutput { Op = d0, Start = d0, End = d0 + dst.Length, SEnd = s0 + n };
            byte* anchor = s0;
            if (n >= MinMatchInput)
            {
                bool ample = dst.Length >= Lzo1x.MaxCompressedLength(n);
                fixed (int* t = _table)
                {
                    int b = NextBase(n);
                    anchor = ample ? Search<LzoRoomAmple>(&o, s0, n, t, b) : Search<LzoRoomChecked>(&o, s0, n, t, b);
                }
                if (anchor == null)
                    return -1;
            }
            return Lzo1xEncoder.Finish(&o, anchor);
        }
    }

    /// <summary>Moves the table base to the given value (tests use it to reach the wrap-around quickly).</summary>
    internal void SetBaseForTesting(int value) => _base = value;

    /// <summary>Reserves entry values for this call, more than MaxDistance above the previous call's (so that no entry of
    /// an earlier call is ever taken for a candidate); clears the table when they would pass int.MaxValue.</summary>
    private int NextBase(int n)
    {
        if ((long)_base + n + 2L * (MaxDistance + 1) >= int.MaxValue)
        {
            Array.Clear(_table);
            _base = MaxDistance + 1;
        }
        int b = _base;
        _base = b + n + MaxDistance + 1;
        return b;
    }

    /// <summary>The greedy search, encoding every 4-byte match found; returns the start of the pending literals, or null when dst is too small.</summary>
    /// <remarks>Entries hold position + b; b grows from call to call (see NextBase), so an entry of an earlier call is
    /// more than MaxDistance behind every position of this one and fails the distance test like a too-distant match.</remarks>
    private static byte* Search<TRoom>(LzoOutput* o, byte* s0, int n, int* table, int b)
        where TRoom : struct, ILzoRoom
    {
        unchecked
        {
            // The match encoder is inlined and the loop makes no calls, so its pointers stay in registers.
            o->IpLast = s0 + n - 16;
            // Entries are positions relative to sb = s0 - b.
            byte* sb = s0 - b;
            byte* anchor = s0;
            // The search position is anchor + run. A miss advances run by a step that grows by one every 32 bytes
            // of literals (LZO1X-1's acceleration on incompressible data); the step is taken from the previous
            // position so that run's dependency chain is a single add.
            nint run = 0;
            nint step = 1;
            while (true)
            {
                byte* ip = anchor + run;
                if (ip > o->IpLast)
                    break;
                uint seq = Unsafe.ReadUnaligned<uint>(ip);
                uint h = (seq * HashPrime) >> (32 - TableBits);
                byte* m = sb + table[h];
                table[h] = (int)(ip - sb);
                if ((nuint)(ip - m) > MaxDistance || Unsafe.ReadUnaligned<uint>(m) != seq)
                {
                    nint nextStep = 1 + (run >> SkipShift);
                    run += step;
                    step = nextStep;
                    continue;
                }
                byte* next = Lzo1xEncoder.EncodeMatch<TRoom>(o, anchor, ip, m);
                if (TRoom.Checked && next == null)
                    return null;
                anchor = next;
                run = 0;
                step = 1;
            }
            return anchor;
        }
    }
}
