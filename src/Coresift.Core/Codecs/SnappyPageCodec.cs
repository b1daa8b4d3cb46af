using Snappier;

namespace Coresift.Codecs;

/// <summary>-p: one raw snappy block (varint length, no framing) per page.</summary>
public sealed class SnappyPageCodec : IPageCodec
{
    /// <inheritdoc />
    public uint DescriptorFlag => KdumpFlags.Snappy;

    /// <inheritdoc />
    public int MaxCompressedLength(int inputLength) => Snappy.GetMaxCompressedLength(inputLength);

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (dst.Length < Snappy.GetMaxCompressedLength(src.Length))
            return 0;
        return Snappy.Compress(src, dst);
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        try
        {
            int n = Snappy.GetUncompressedLength(src);
            return n > dst.Length ? -1 : Snappy.Decompress(src, dst);
        }
        catch (InvalidDataException)
        {
            return -1;
        }
        catch (ArgumentException)
        {
            return -1;
        }
    }
}
