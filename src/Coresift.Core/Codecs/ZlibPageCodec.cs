using System.IO.Compression;

namespace Coresift.Codecs;

/// <summary>-c: one zlib stream (RFC 1950, deflate level 1) per page, as makedumpfile's compress2(Z_BEST_SPEED); the runtime's zlib-ng does the work.</summary>
public sealed class ZlibPageCodec : IPageCodec
{
    private static readonly ZLibCompressionOptions Level1 = new() { CompressionLevel = 1, CompressionStrategy = ZLibCompressionStrategy.Default };

    /// <inheritdoc />
    public uint DescriptorFlag => KdumpFlags.Zlib;

    /// <inheritdoc />
    /// <remarks>zlib-ng's level 1 (deflate_quick) can exceed classic zlib's compressBound, so this bound is looser.</remarks>
    public int MaxCompressedLength(int inputLength) => inputLength + (inputLength >> 3) + 64;

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var sink = new SpanSink(dst.Length);
        using (var z = new ZLibStream(sink, Level1, leaveOpen: true))
            z.Write(src);
        if (sink.Overflowed)
            return 0;
        sink.Written.CopyTo(dst);
        return sink.Written.Length;
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        try
        {
            using var input = new MemoryStream(src.ToArray(), writable: false);
            using var z = new ZLibStream(input, CompressionMode.Decompress);
            int total = 0;
            while (total < dst.Length)
            {
                int n = z.Read(dst[total..]);
                if (n == 0)
                    break;
                total += n;
            }
            // More output than dst holds means the page is not what the descriptor says.
            return z.ReadByte() == -1 ? total : -1;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // InvalidDataException, and ZLibException for streams zlib rejects outright (e.g. a bad window size).
            return -1;
        }
    }

    /// <summary>A write-only stream into a bounded buffer that notes overflow instead of growing.</summary>
    private sealed class SpanSink(int capacity) : Stream
    {
        private readonly byte[] _buffer = new byte[capacity];
        private int _length;

        public bool Overflowed { get; private set; }
        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            if (Overflowed || _length + data.Length > _buffer.Length)
            {
                Overflowed = true;
                return;
            }
            data.CopyTo(_buffer.AsSpan(_length));
            _length += data.Length;
        }
    }
}
