using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Coresift.Codecs;

/// <summary>A safe LZO1X decompressor: every length and distance is checked against the input and output.</summary>
/// <remarks>
/// Written from the LZO1X bitstream description (Linux Documentation/staging/lzo.rst). Like liblzo2's
/// lzo1x_decompress_safe it rejects lookbehind before the output start, output overrun, input overrun and
/// input left over after the end marker. Every instruction consumes input, so hostile input terminates.
/// </remarks>
internal static unsafe class Lzo1xDecompressor
{
    /// <summary>Decompresses one stream; returns the output length or -1 (bytes of dst past that length are unspecified).</summary>
    public static int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (src.Length < 3)
            return -1;
        fixed (byte* s0 = src)
        fixed (byte* d0 = dst)
        {
            nint r = Run(s0, s0 + src.Length, d0, d0 + dst.Length);
            return r < 0 ? -1 : (int)r;
        }
    }

    /// <summary>The instruction loop; returns the output length or -1.</summary>
    private static nint Run(byte* ip, byte* iEnd, byte* d0, byte* oEnd)
    {
        unchecked
        {
            byte* op = d0;
            // State: how many literals the previous instruction copied (0, 1..3, or 4 for "4 or more").
            nuint state = 0;
            if (*ip > 17)
            {
                nuint t = (nuint)(*ip++ - 17);
                if (t > (nuint)(iEnd - ip) || t > (nuint)(oEnd - op))
                    return -1;
                CopyLiterals(op, ip, t, iEnd, oEnd);
                op += t;
                ip += t;
                state = t < 4 ? t : 4;
            }

            while (true)
            {
                if (ip >= iEnd)
                    return -1;
                nuint b = *ip++;
                nuint len;
                nuint dist;
                nuint s;
                if (b >= 64)
                {
                    // M2: 3..8 bytes within 2 KiB; one distance byte follows.
                    if (ip >= iEnd)
                        return -1;
                    len = (b >> 5) + 1;
                    dist = ((b >> 2) & 7) + ((nuint)(*ip++) << 3) + 1;
                    s = b & 3;
                }
                else if (b >= 32)
                {
                    // M3: any length within 16 KiB; LE16 distance and literal count.
                    len = b & 31;
                    if (len == 0 && !ReadExtraLength(ref ip, iEnd, 31, out len))
                        return -1;
                    len += 2;
                    if (iEnd - ip < 2)
                        return -1;
                    nuint w = Unsafe.ReadUnaligned<ushort>(ip);
                    ip += 2;
                    dist = (w >> 2) + 1;
                    s = w & 3;
                }
                else if (b >= 16)
                {
                    // M4: any length at 16 KiB..48 KiB; distance 16384 exactly is the end marker.
                    len = b & 7;
                    if (len == 0 && !ReadExtraLength(ref ip, iEnd, 7, out len))
                        return -1;
                    len += 2;
                    if (iEnd - ip < 2)
                        return -1;
                    nuint w = Unsafe.ReadUnaligned<ushort>(ip);
                    ip += 2;
                    dist = ((b & 8) << 11) + (w >> 2);
                    if (dist == 0)
                        return ip == iEnd ? (nint)(op - d0) : -1;
                    dist += 0x4000;
                    s = w & 3;
                }
                else if (state == 0)
                {
                    // After a match without literals: a run of 4 or more literals.
                    len = b;
                    if (len == 0 && !ReadExtraLength(ref ip, iEnd, 15, out len))
                        return -1;
                    len += 3;
                    if (len > (nuint)(iEnd - ip) || len > (nuint)(oEnd - op))
                        return -1;
                    CopyLiterals(op, ip, len, iEnd, oEnd);
                    op += len;
                    ip += len;
                    state = 4;
                    continue;
                }
                else
                {
                    // M1: 2 bytes within 1 KiB after 1..3 literals, or 3 bytes at 2..3 KiB after 4 or more.
                    if (ip >= iEnd)
                        return -1;
                    dist = (b >> 2) + ((nuint)(*ip++) << 2) + 1;
                    s = b & 3;
                    if (state == 4)
                    {
                        dist += 2048;
                        len = 3;
                    }
                    else
                        len = 2;
                }

                if (dist > (nuint)(op - d0) || len > (nuint)(oEnd - op))
                    return -1;
                CopyMatch(op, dist, len, oEnd);
                op += len;
                if (s != 0)
                {
                    if (s > (nuint)(iEnd - ip) || s > (nuint)(oEnd - op))
                        return -1;
                    op[0] = ip[0];
                    if (s > 1)
                    {
                        op[1] = ip[1];
                        if (s > 2)
                            op[2] = ip[2];
                    }
                    op += s;
                    ip += s;
                }
                state = s;
            }
        }
    }

    /// <summary>Reads a length extension: zero bytes worth 255 each, then a non-zero byte; adds baseValue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ReadExtraLength(ref byte* ip, byte* iEnd, nuint baseValue, out nuint len)
    {
        unchecked
        {
            byte* p = ip;
            while (p < iEnd && *p == 0)
                p++;
            if (p >= iEnd)
            {
                len = 0;
                return false;
            }
            len = (nuint)(p - ip) * 255 + baseValue + *p;
            ip = p + 1;
            return true;
        }
    }

    /// <summary>Copies n literal bytes (both ranges already checked); over-copies only inside the buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLiterals(byte* op, byte* ip, nuint n, byte* iEnd, byte* oEnd)
    {
        unchecked
        {
            if (n <= 16 && iEnd - ip >= 16 && oEnd - op >= 16)
            {
                Unsafe.WriteUnaligned(op, Unsafe.ReadUnaligned<Vector128<byte>>(ip));
                return;
            }
            Buffer.MemoryCopy(ip, op, n, n);
        }
    }

    /// <summary>Copies a match of len bytes from dist back (both checked); overlapping copies repeat the pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyMatch(byte* op, nuint dist, nuint len, byte* oEnd)
    {
        unchecked
        {
            byte* m = op - dist;
            if (dist >= 16 && len <= 16 && oEnd - op >= 16)
            {
                Unsafe.WriteUnaligned(op, Unsafe.ReadUnaligned<Vector128<byte>>(m));
                return;
            }
            CopyMatchSlow(op, m, dist, len, oEnd);
        }
    }

    /// <summary>The general match copy: fills for distance 1, widens short distances to a multiple of at least 16.</summary>
    private static void CopyMatchSlow(byte* op, byte* m, nuint dist, nuint len, byte* oEnd)
    {
        unchecked
        {
            if (dist < 16)
            {
                if (dist == 1)
                {
                    Unsafe.InitBlockUnaligned(op, *m, (uint)len);
                    return;
                }
                // Copying dist*k >= 16 bytes one at a time leaves a pattern that repeats every dist*k bytes.
                nuint wide = dist * ((15 + dist) / dist);
                nuint head = wide < len ? wide : len;
                for (nuint i = 0; i < head; i++)
                    op[i] = m[i];
                op += head;
                len -= head;
                m = op - wide;
            }
            while (len >= 16)
            {
                Unsafe.WriteUnaligned(op, Unsafe.ReadUnaligned<Vector128<byte>>(m));
                op += 16;
                m += 16;
                len -= 16;
            }
            if (len == 0)
                return;
            if (oEnd - op >= 16)
            {
                Unsafe.WriteUnaligned(op, Unsafe.ReadUnaligned<Vector128<byte>>(m));
                return;
            }
            for (nuint i = 0; i < len; i++)
                op[i] = m[i];
        }
    }
}
