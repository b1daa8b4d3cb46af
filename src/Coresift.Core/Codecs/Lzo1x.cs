namespace Coresift.Codecs;

/// <summary>LZO1X-1 compression and safe decompression, compatible with liblzo2's lzo1x_1_compress and lzo1x_decompress_safe.</summary>
public static class Lzo1x
{
    [ThreadStatic]
    private static Lzo1xCompressor? t_compressor;

    /// <summary>liblzo2's output bound for an input of n bytes: n + n/16 + 64 + 3.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n is negative or the bound exceeds int.MaxValue.</exception>
    public static int MaxCompressedLength(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        long bound = n + (long)n / 16 + 64 + 3;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bound, int.MaxValue, nameof(n));
        return (int)bound;
    }

    /// <summary>Compresses src into dst with this thread's compressor; returns the length, or -1 when dst is too small.</summary>
    public static int Compress(ReadOnlySpan<byte> src, Span<byte> dst) => (t_compressor ??= new Lzo1xCompressor()).Compress(src, dst);

    /// <summary>Decompresses one LZO1X stream into dst; returns the length, or -1 on corrupt input or when dst is too small (dst past the length may be overwritten).</summary>
    public static int Decompress(ReadOnlySpan<byte> src, Span<byte> dst) => Lzo1xDecompressor.Decompress(src, dst);
}
