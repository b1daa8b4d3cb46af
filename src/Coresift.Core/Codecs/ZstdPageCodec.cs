using ZstdSharp;

namespace Coresift.Codecs;

/// <summary>-z: one zstd frame per page at level 1, with the content size in the frame header.</summary>
public sealed class ZstdPageCodec : IPageCodec, IDisposable
{
    private readonly Compressor _compressor = new(1);
    private readonly Decompressor _decompressor = new();

    /// <inheritdoc />
    public uint DescriptorFlag => KdumpFlags.Zstd;

    /// <inheritdoc />
    public int MaxCompressedLength(int inputLength) => Compressor.GetCompressBound(inputLength);

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst) =>
        _compressor.TryWrap(src, dst, out int written) ? written : 0;

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        try
        {
            return _decompressor.TryUnwrap(src, dst, out int written) ? written : -1;
        }
        catch (ZstdException)
        {
            return -1;
        }
    }

    /// <summary>Frees the native-style contexts.</summary>
    public void Dispose()
    {
        _compressor.Dispose();
        _decompressor.Dispose();
    }
}
