namespace Coresift.Codecs;

/// <summary>The LZO page codec of kdump-compressed files (makedumpfile -l: lzo1x_1_compress per page).</summary>
public sealed class LzoPageCodec : IPageCodec
{
    private readonly Lzo1xCompressor _compressor = new();

    /// <inheritdoc />
    public uint DescriptorFlag => KdumpFlags.Lzo;

    /// <inheritdoc />
    public int MaxCompressedLength(int inputLength) => Lzo1x.MaxCompressedLength(inputLength);

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int n = _compressor.Compress(src, dst);
        return n < 0 ? 0 : n;
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst) => Lzo1x.Decompress(src, dst);
}
