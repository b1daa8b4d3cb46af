using System.Buffers.Binary;
using Coresift.Common;

namespace Coresift.Output;

/// <summary>Writes a dump as a flattened stream (to stdout for -F): every positioned write becomes one record, later ones win.</summary>
public sealed class FlattenedOutputSink : IOutputSink
{
    private readonly Stream _stream;
    private readonly byte[] _record = new byte[FlattenedFormat.RecordHeaderSize];
    private bool _finished;

    /// <inheritdoc />
    public long Length { get; private set; }

    /// <summary>Starts the stream with its header block.</summary>
    public FlattenedOutputSink(Stream stream)
    {
        _stream = stream;
        var header = new byte[FlattenedFormat.HeaderSize];
        FlattenedFormat.Signature.CopyTo(header);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(FlattenedFormat.TypeOffset), FlattenedFormat.TypeFlatHeader);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(FlattenedFormat.VersionOffset), FlattenedFormat.Version);
        Emit(header);
    }

    /// <inheritdoc />
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        BinaryPrimitives.WriteInt64BigEndian(_record, offset);
        BinaryPrimitives.WriteInt64BigEndian(_record.AsSpan(8), data.Length);
        Emit(_record);
        Emit(data);
        Length = Math.Max(Length, offset + data.Length);
    }

    /// <summary>Writes to the stream; a closed pipe or full device is reported as an output failure.</summary>
    private void Emit(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _stream.Write(bytes);
        }
        catch (IOException e)
        {
            throw new OutputFullException($"Can't write the flattened dump to the output stream. {IoErrors.Describe(e)}");
        }
    }

    /// <summary>Ends the stream with the end marker (offset and size -1).</summary>
    public void Finish()
    {
        if (_finished)
            return;
        BinaryPrimitives.WriteInt64BigEndian(_record, FlattenedFormat.EndMarker);
        BinaryPrimitives.WriteInt64BigEndian(_record.AsSpan(8), FlattenedFormat.EndMarker);
        Emit(_record);
        _stream.Flush();
        _finished = true;
    }

    /// <inheritdoc />
    public void Flush() => _stream.Flush();

    /// <summary>Flushes the stream (the caller owns it).</summary>
    public void Dispose() => _stream.Flush();
}

/// <summary>-R: reads a flattened stream and replays its records into a seekable dump file.</summary>
public static class FlattenedReader
{
    private const long MaxRecord = 1L << 30;   // no record sizes an allocation; copies go through a fixed buffer

    /// <summary>Replays every record of the stream into output; returns the number of records.</summary>
    public static long Rearrange(Stream input, IOutputSink output)
    {
        var header = new byte[FlattenedFormat.HeaderSize];
        ReadFully(input, header, "the flattened header");
        if (!header.AsSpan(0, 12).SequenceEqual("makedumpfile"u8) ||
            BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(FlattenedFormat.TypeOffset)) != FlattenedFormat.TypeFlatHeader)
            throw new BadInputException("Read data is not flattened format.");
        var rec = new byte[FlattenedFormat.RecordHeaderSize];
        var buffer = new byte[1 << 20];
        long records = 0;
        while (true)
        {
            ReadFully(input, rec, "a record header");
            long offset = BinaryPrimitives.ReadInt64BigEndian(rec);
            long size = BinaryPrimitives.ReadInt64BigEndian(rec.AsSpan(8));
            if (offset == FlattenedFormat.EndMarker && size == FlattenedFormat.EndMarker)
                return records;
            if (offset < 0 || size <= 0 || size > MaxRecord)
                throw new BadInputException($"Invalid flattened record (offset {offset}, size {size}).");
            for (long done = 0; done < size;)
            {
                int n = (int)Math.Min(buffer.Length, size - done);
                ReadFully(input, buffer.AsSpan(0, n), "record data");
                output.Write(offset + done, buffer.AsSpan(0, n));
                done += n;
            }
            records++;
        }
    }

    /// <summary>Reads exactly dst.Length bytes or fails with a one-line error.</summary>
    private static void ReadFully(Stream input, Span<byte> dst, string what)
    {
        while (!dst.IsEmpty)
        {
            int n = input.Read(dst);
            if (n == 0)
                throw new BadInputException($"The flattened stream ended inside {what} (no end marker).");
            dst = dst[n..];
        }
    }
}
