using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Coresift.Codecs;

/// <summary>The output cursor of one compression call.</summary>
internal unsafe struct LzoOutput
{
    /// <summary>The next output byte.</summary>
    public byte* Op;

    /// <summary>The start of the output (the first literal run is encoded differently).</summary>
    public byte* Start;

    /// <summary>The end of the output buffer.</summary>
    public byte* End;

    /// <summary>The end of the input.</summary>
    public byte* SEnd;

    /// <summary>The last position the search hashes (16 bytes before the end, so literal copies may over-read).</summary>
    public byte* IpLast;
}

/// <summary>Writes LZO1X instructions: literal runs, M2/M3/M4 matches and the end marker.</summary>
internal static unsafe class Lzo1xEncoder
{
    private const int M2MaxLength = 8;
    private const int M2MaxDistance = 0x800;
    private const int M3MaxDistance = 0x4000;

    /// <summary>Extends the 4-byte match at ip from m, emits the literals from anchor and the match; returns the match end, or null when dst is too small.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* EncodeMatch<TRoom>(LzoOutput* o, byte* anchor, byte* ip, byte* m)
        where TRoom : struct, ILzoRoom
    {
        unchecked
        {
            byte* sEnd = o->SEnd;
            byte* p = ip + 4;
            byte* q = m + 4;
            // ip <= IpLast leaves at least 12 bytes after p, so the first 8-byte comparison needs no bounds test.
            ulong x0 = Unsafe.ReadUnaligned<ulong>(p) ^ Unsafe.ReadUnaligned<ulong>(q);
            if (x0 != 0)
                p += BitOperations.TrailingZeroCount(x0) >> 3;
            else
                p = ExtendMatch(p + 8, q + 8, sEnd);

            nint lit = (nint)(ip - anchor);
            nint len = (nint)(p - ip);
            byte* op = o->Op;
            // Room for the literal header, the literals (plus over-copy), the match and the end marker.
            if (TRoom.Checked && (nuint)(o->End - op) < (nuint)(lit + (lit >> 7) + (len >> 7) + 40))
                return null;

            // Literal header. The common cases (0..18 literals after a match) are written without branches:
            // 0..3 go into the two low bits of the previous match's last byte, 4..18 take one byte.
            if (lit <= 18 && op != o->Start)
            {
                nint folded = (lit - 4) >> 63; // -1 for 0..3 literals, else 0
                op[-2] |= (byte)(lit & folded);
                *op = (byte)(lit - 3);
                op += 1 + folded;
            }
            else if (lit <= 18 + 255 && op != o->Start)
            {
                op[0] = 0;
                op[1] = (byte)(lit - 18);
                op += 2;
            }
            else
                op = EmitLiteralHeader(op, o->Start, lit);
            // ip is at most IpLast, so the literals may be copied in 16-byte blocks (over-reading at most 15 bytes).
            nint i = 0;
            do
            {
                Unsafe.WriteUnaligned(op + i, Unsafe.ReadUnaligned<Vector128<byte>>(anchor + i));
                i += 16;
            }
            while (i < lit);
            op += lit;

            // Match. Short M2 (<= 8 bytes within 2 KiB) and M3 (<= 33 bytes within 16 KiB) are chosen without branches.
            nint dist = (nint)(ip - m);
            if (len <= 33 && dist <= M3MaxDistance)
            {
                nint d = dist - 1;
                uint m2 = (uint)(((len - 1) << 5) | ((d & 7) << 2) | ((d >> 3) << 8));
                uint m3 = (uint)((32 | (len - 2)) | (d << 10));
                nint isM2 = ((len - (M2MaxLength + 1)) & (d - M2MaxDistance)) >> 63; // -1 when both are below their limits
                Unsafe.WriteUnaligned(op, m3 ^ ((m2 ^ m3) & (uint)isM2));
                o->Op = op + 3 + isM2;
            }
            else
                o->Op = EmitMatch(op, (int)dist, len);
            return p;
        }
    }

    /// <summary>Returns the first position from p where the bytes differ from those at q (or the end of the input).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte* ExtendMatch(byte* p, byte* q, byte* sEnd)
    {
        unchecked
        {
            // 32 bytes per step (two SSE2 compares): long matches, such as the runs of a zero or patterned page, are
            // most of LZO's time on compressible pages.
            while (p <= sEnd - 32)
            {
                Vector128<byte> e0 = Vector128.Equals(Vector128.Load(p), Vector128.Load(q));
                Vector128<byte> e1 = Vector128.Equals(Vector128.Load(p + 16), Vector128.Load(q + 16));
                if ((e0 & e1).ExtractMostSignificantBits() != 0xFFFF)
                {
                    uint m0 = e0.ExtractMostSignificantBits();
                    return m0 != 0xFFFF
                        ? p + BitOperations.TrailingZeroCount(~m0)
                        : p + 16 + BitOperations.TrailingZeroCount(~e1.ExtractMostSignificantBits());
                }
                p += 32;
                q += 32;
            }
            while (p <= sEnd - 8)
            {
                ulong x = Unsafe.ReadUnaligned<ulong>(p) ^ Unsafe.ReadUnaligned<ulong>(q);
                if (x != 0)
                    return p + (BitOperations.TrailingZeroCount(x) >> 3);
                p += 8;
                q += 8;
            }
            while (p < sEnd && *p == *q)
            {
                p++;
                q++;
            }
            return p;
        }
    }

    /// <summary>Emits the literals from anchor to the end of the input and the end marker; returns the total length or -1.</summary>
    public static int Finish(LzoOutput* o, byte* anchor)
    {
        unchecked
        {
            byte* op = o->Op;
            nint lit = (nint)(o->SEnd - anchor);
            if (o->End - op < lit + lit / 255 + 8)
                return -1;
            op = EmitLiteralHeader(op, o->Start, lit);
            Buffer.MemoryCopy(anchor, op, lit, lit);
            op += lit;
            op[0] = 0x11;
            op[1] = 0;
            op[2] = 0;
            return (int)(op + 3 - o->Start);
        }
    }

    /// <summary>Writes the header of a literal run of lit bytes (or folds 1..3 literals into the previous match).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* EmitLiteralHeader(byte* op, byte* start, nint lit)
    {
        unchecked
        {
            if (lit == 0)
                return op;
            if (op == start)
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
