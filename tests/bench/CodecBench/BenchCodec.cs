using Coresift.Codecs;

namespace Coresift.Bench;

/// <summary>One codec under test. Add more implementations to Program.Codecs to compare them.</summary>
internal interface IBenchCodec
{
    /// <summary>The name printed in the table.</summary>
    string Name { get; }

    /// <summary>The output buffer size Compress needs.</summary>
    int MaxCompressedLength(int n);

    /// <summary>Compresses one page; returns the length, 0 when the codec declined (the page is stored raw, as IPageCodec does when the output does not fit), or a negative value on failure.</summary>
    int Compress(ReadOnlySpan<byte> src, Span<byte> dst);

    /// <summary>Decompresses one page; returns the length or a negative value on failure.</summary>
    int Decompress(ReadOnlySpan<byte> src, Span<byte> dst);
}

/// <summary>Adapts any coresift IPageCodec.</summary>
internal sealed class PageCodecBench(string name, IPageCodec codec) : IBenchCodec
{
    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public int MaxCompressedLength(int n) => codec.MaxCompressedLength(n);

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst) => codec.Compress(src, dst);

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst) => codec.Decompress(src, dst);
}
