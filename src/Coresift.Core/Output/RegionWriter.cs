namespace Coresift.Output;

/// <summary>Appends bytes to one region of the output through a large buffer (the descriptor cursor, the data cursor).</summary>
/// <remarks>Without autoFlush the owner flushes (to keep two regions in step) and must keep <see cref="Free"/> large enough.</remarks>
internal sealed class RegionWriter(IOutputSink sink, long start, int bufferSize, bool autoFlush = true)
{
    private readonly byte[] _buffer = new byte[bufferSize];
    private int _used;
    private long _flushedTo = start;

    /// <summary>The offset the next appended byte will have.</summary>
    public long Position => _flushedTo + _used;

    /// <summary>Bytes that still fit in the buffer before it must be flushed.</summary>
    public int Free => _buffer.Length - _used;

    /// <summary>The offset up to which bytes have reached the sink.</summary>
    public long FlushedTo => _flushedTo;

    /// <summary>Appends bytes, flushing full buffers.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (!autoFlush && data.Length > Free)
            throw new InvalidOperationException("region buffer overflow: the owner must flush first");
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, _buffer.Length - _used);
            data[..n].CopyTo(_buffer.AsSpan(_used));
            _used += n;
            data = data[n..];
            if (autoFlush && _used == _buffer.Length)
                Flush();
        }
    }

    /// <summary>Gives a span of the buffer to fill in place (at most the buffer size); commit it with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int length)
    {
        if (_buffer.Length - _used < length)
            Flush();
        return _buffer.AsSpan(_used, length);
    }

    /// <summary>Commits bytes written into the span from <see cref="GetSpan"/>.</summary>
    public void Advance(int length)
    {
        _used += length;
        if (autoFlush && _used == _buffer.Length)
            Flush();
    }

    /// <summary>Writes the buffered bytes to the sink.</summary>
    public void Flush()
    {
        if (_used == 0)
            return;
        sink.Write(_flushedTo, _buffer.AsSpan(0, _used));
        _flushedTo += _used;
        _used = 0;
    }

    /// <summary>Drops buffered bytes that were never flushed (after a failed write).</summary>
    public void Discard() => _used = 0;
}
