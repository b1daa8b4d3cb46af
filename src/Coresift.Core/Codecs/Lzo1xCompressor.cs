using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Coresift.Codecs;

/// <summary>A greedy LZO1X-1 style compressor: one hash table of recent positions, 4-byte minimum matches.</summary>
/// <remarks>
/// Written from the LZO1X bitstream description (Linux Documentation/staging/lzo.rst).
/// The table holds positions offset by a per-call base that only grows, so entries of earlier calls are
/// recognised as too distant and the table never needs clearing between calls. Not thread-safe: one instance per thread.
/// </remarks>
public sealed unsafe class Lzo1xCompressor
{
    /// <summary>The largest distance an LZO1X match can encode (M4: 16384 + 32767).</summary>
    internal const int MaxDistance = 0xBFFF;

    private const int MaxTableBits = 14;
    private const int MinTableBits = 10;
    private const int SkipShift = 5;
    private const int MinMatchInput = 8;
    private const uint HashPrime = 0x9E3779B1u;
    private const int M2MaxLength = 8;
    private const int M2MaxDistance = 0x800;
    private const int M3MaxDistance = 0x4000;

    private readonly int[] _table = new int[1 << MaxTableBits];
    private int _base = MaxDistance + 1;

    /// <summary>Compresses src into dst as one LZO1X stream ending with the end-of-stream marker.</summary>
    /// <returns>The compressed length, or -1 when dst is too small (dst of Lzo1x.MaxCompressedLength(src.Length) always suffices).</returns>
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int n = src.Length;
        if (n > int.MaxValue / 2)
            return -1;
        int b = NextBase(n);
        int bits = TableBits(n);
        fixed (byte* s0 = src)
        fixed (byte* d0 = dst)
        fixed (int* table = _table)
        {
            byte* anchor = s0;
            byte* op = d0;
            if (n >= MinMatchInput)
            {
                op = CompressBody(s0, n, d0, d0 + dst.Length, table, b, 32 - bits, out anchor);
                if (op == null)
                    return -1;
            }
            return Finish(s0 + n, anchor, d0, op, d0 + dst.Length);
        }
    }

    /// <summary>Reserves the base offset for a call over n bytes, clearing the table when the offsets would overflow.</summary>
    private int NextBase(int n)
    {
        if ((long)_base + n + 2L * (MaxDistance + 1) >= int.MaxValue)
        {
            Array.Clear(_table);
            _base = MaxDistance + 1;
        }
        int b = _base;
        // Positions of this call are b..b+n-1; the next call starts more than MaxDistance above them.
        _base = b + n + MaxDistance + 1;
        return b;
    }

    /// <summary>Hash bits for an input length: about two slots per position, between 2^10 and 2^14.</summary>
    private static int TableBits(int n) =>
        n >= 1 << (MaxTableBits - 1) ? MaxTableBits : Math.Max(MinTableBits, 33 - BitOperations.LeadingZeroCount((uint)n));

    /// <summary>Emits the trailing literals and the end marker; returns the total length or -1.</summary>
    private static int Finish(byte* sEnd, byte* anchor, byte* d0, byte* op, byte* oEnd)
    {
        nint lit = unchecked((nint)(sEnd - anchor));
        if (oEnd - op < lit + lit / 255 + 8)
            return -1;
        op = EmitLiteralHeader(op, d0, lit);
        Buffer.MemoryCopy(anchor, op, lit, lit);
        op += lit;
        op[0] = 0x11;
        op[1] = 0;
        op[2] = 0;
        return (int)(op + 3 - d0);
    }

    /// <summary>The match-finding loop; returns the output position (null when dst is too small) and the start of the pending literals.</summary>
    private static byte* CompressBody(byte* s0, int n, byte* d0, byte* oEnd, int* table, int b, int shift, out byte* anchor)
    {
        unchecked
        {
            byte* sEnd = s0 + n;
            byte* ipLast = sEnd - 4;
            byte* cmpLast = sEnd - 8;
            byte* ip = s0;
            byte* op = d0;
            anchor = s0;
            while (ip <= ipLast)
            {
                uint seq = Unsafe.ReadUnaligned<uint>(ip);
                uint h = (seq * HashPrime) >> shift;
                int pos = (int)(ip - s0);
                int cand = table[h] - b;
                table[h] = pos + b;
                if ((uint)(pos - cand - 1) >= MaxDistance || Unsafe.ReadUnaligned<uint>(s0 + cand) != seq)
                {
                    ip += 1 + ((ip - anchor) >> SkipShift);
                    continue;
                }

                byte* m = s0 + cand;
                byte* p = ip + 4;
                byte* q = m + 4;
                while (true)
                {
                    if (p > cmpLast)
                    {
                        while (p < sEnd && *p == *q)
                        {
                            p++;
                            q++;
                        }
                        break;
                    }
                    ulong x = Unsafe.ReadUnaligned<ulong>(p) ^ Unsafe.ReadUnaligned<ulong>(q);
                    if (x != 0)
                    {
                        p += BitOperations.TrailingZeroCount(x) >> 3;
                        break;
                    }
                    p += 8;
                    q += 8;
                }

                nint lit = (nint)(ip - anchor);
                nint len = (nint)(p - ip);
                if (oEnd - op < lit + lit / 255 + len / 255 + 40)
                    return null;
                op = EmitLiteralHeader(op, d0, lit);
                CopyLiterals(op, anchor, lit, sEnd);
                op = EmitMatch(op + lit, (int)(ip - m), len);
                ip = p;
                anchor = p;
            }
            return op;
        }
    }

    /// <summary>Writes the header of a literal run of lit bytes (or folds 1..3 literals into the previous match).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* EmitLiteralHeader(byte* op, byte* d0, nint lit)
    {
        unchecked
        {
            if (lit == 0)
                return op;
            if (op == d0)
            {
                // First byte 18..255: a run of byte-17 literals; longer runs use the state-0 literal instruction.
                if (lit <= 238)
                {
                    *op++ = (byte)(17 + lit);
                    return op;
                }
                *op++ = 0;
                return WriteExtraLength(op, lit - 18);
            }
            if (lit <= 3)
            {
                // The previous match's last operand byte carries the count in its two low bits.
                op[-2] |= (byte)lit;
                return op;
            }
            if (lit <= 18)
            {
                *op++ = (byte)(lit - 3);
                return op;
            }
            *op++ = 0;
            return WriteExtraLength(op, lit - 18);
        }
    }

    /// <summary>Copies lit literal bytes; over-copies in 16-byte blocks when the input allows (output room was checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLiterals(byte* op, byte* from, nint lit, byte* sEnd)
    {
        if (lit <= 32 && sEnd - from >= 32)
        {
            Unsafe.WriteUnaligned(op, Unsafe.ReadUnaligned<Vector128<byte>>(from));
            if (lit > 16)
                Unsafe.WriteUnaligned(op + 16, Unsafe.ReadUnaligned<Vector128<byte>>(from + 16));
            return;
        }
        Buffer.MemoryCopy(from, op, lit, lit);
    }

    /// <summary>Writes one match instruction (M2, M3 or M4 by length and distance) with zero literal bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* EmitMatch(byte* op, int dist, nint len)
    {
        unchecked
        {
            if (len <= M2MaxLength && dist <= M2MaxDistance)
            {
                dist--;
                op[0] = (byte)(((len - 1) << 5) | ((dist & 7) << 2));
                op[1] = (byte)(dist >> 3);
                return op + 2;
            }
            if (dist <= M3MaxDistance)
            {
                dist--;
                if (len <= 33)
                    *op++ = (byte)(32 | (len - 2));
                else
                {
                    *op++ = 32;
                    op = WriteExtraLength(op, len - 33);
                }
            }
            else
            {
                dist -= M3MaxDistance;
                byte hi = (byte)((dist >> 11) & 8);
                if (len <= 9)
                    *op++ = (byte)(16 | hi | (len - 2));
                else
                {
                    *op++ = (byte)(16 | hi);
                    op = WriteExtraLength(op, len - 9);
                }
            }
            op[0] = (byte)(dist << 2);
            op[1] = (byte)(dist >> 6);
            return op + 2;
        }
    }

    /// <summary>Writes a length remainder v >= 1 as zero bytes worth 255 each followed by a non-zero byte.</summary>
    private static byte* WriteExtraLength(byte* op, nint v)
    {
        while (v > 255)
        {
            *op++ = 0;
            v -= 255;
        }
        *op++ = (byte)v;
        return op;
    }
}
