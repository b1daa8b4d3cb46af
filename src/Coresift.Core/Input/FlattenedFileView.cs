using System.Buffers.Binary;
using Coresift.Common;

namespace Coresift.Input;

/// <summary>
/// A flattened dump file (makedumpfile -F, QEMU's kdump formats) read in place as the file it describes: records are
/// indexed by target offset; where records overlap, the later one wins; bytes no record wrote read as zeros.
/// </summary>
public sealed class FlattenedFileView : IFileSource
{
    private const int HeaderSize = 4096;
    private const int RecordHeader = 16;
    private readonly VmcoreFile _file;
    private readonly Record[] _records;   // sorted by target start
    private readonly long[] _maxEnd;      // max target end of records[0..i]

    /// <summary>One record: target bytes [Start, End) are at FileOffset; Seq orders overlapping writes.</summary>
    private readonly record struct Record(long Start, long End, long FileOffset, int Seq);

    /// <inheritdoc />
    public string Path => _file.Path;

    /// <inheritdoc />
    public long Length { get; }

    /// <summary>The size of the flattened file itself: an upper bound on the bytes its records store.</summary>
    public long StoredLength => _file.Length;

    /// <summary>True when the bytes start with the flattened signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> head) => head.StartsWith("makedumpfile\0"u8);

    /// <summary>Indexes every record of the stream.</summary>
    public FlattenedFileView(VmcoreFile file, int maxRecords = 1 << 26)
    {
        _file = file;
        Span<byte> h = stackalloc byte[RecordHeader];
        ThrowHelper.Check(file.Length >= HeaderSize, $"{file.Path} is truncated inside the flattened header");
        file.ReadExactly(16, h);
        ThrowHelper.Check(BinaryPrimitives.ReadInt64BigEndian(h) == 1, $"{file.Path} is not a flattened dump (type {BinaryPrimitives.ReadInt64BigEndian(h)})");
        var records = new List<Record>();
        long pos = HeaderSize;
        while (true)
        {
            ThrowHelper.Check(pos <= file.Length - RecordHeader, $"{file.Path} ends without the flattened end marker");
            file.ReadExactly(pos, h);
            long offset = BinaryPrimitives.ReadInt64BigEndian(h), size = BinaryPrimitives.ReadInt64BigEndian(h[8..]);
            if (offset == -1 && size == -1)
                break;
            ThrowHelper.Check(offset >= 0 && size > 0 && size <= file.Length - pos - RecordHeader,
                $"{file.Path}: invalid flattened record at 0x{pos:x} (offset {offset}, size {size})");
            ThrowHelper.CheckLimit((ulong)records.Count + 1, (ulong)maxRecords, "the number of flattened records");
            records.Add(new Record(offset, offset + size, pos + RecordHeader, records.Count));
            pos += RecordHeader + size;
        }
        records.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Seq.CompareTo(b.Seq));
        _records = records.ToArray();
        _maxEnd = new long[_records.Length];
        long max = 0;
        for (int i = 0; i < _records.Length; i++)
            _maxEnd[i] = max = Math.Max(max, _records[i].End);
        Length = max;
    }

    /// <summary>Index of the last record starting at or before x, or -1.</summary>
    private int LastStartingAtOrBefore(long x)
    {
        int lo = 0, hi = _records.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_records[mid].Start <= x)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    /// <inheritdoc />
    public void ReadExactly(long offset, Span<byte> destination)
    {
        ThrowHelper.Check(offset >= 0 && offset <= Length && destination.Length <= Length - offset,
            $"{Path} is truncated: {destination.Length} bytes at offset 0x{offset:x} lie beyond its end (0x{Length:x})");
        while (!destination.IsEmpty)
        {
            int i = LastStartingAtOrBefore(offset);
            // The winner at this offset: the latest record covering it.
            int winner = -1;
            for (int j = i; j >= 0 && _maxEnd[j] > offset; j--)
                if (_records[j].End > offset && (winner < 0 || _records[j].Seq > _records[winner].Seq))
                    winner = j;
            long nextStart = i + 1 < _records.Length ? _records[i + 1].Start : long.MaxValue;
            int n;
            if (winner < 0)
            {
                n = (int)Math.Min(destination.Length, nextStart - offset);
                destination[..n].Clear(); // never written: a hole
            }
            else
            {
                var r = _records[winner];
                n = (int)Math.Min(destination.Length, Math.Min(r.End, nextStart) - offset);
                _file.ReadExactly(r.FileOffset + (offset - r.Start), destination[..n]);
            }
            destination = destination[n..];
            offset += n;
        }
    }
}
