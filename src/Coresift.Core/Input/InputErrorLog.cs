namespace Coresift.Input;

/// <summary>A contiguous range of input bytes [Offset, Offset + Length) that could not be read (whole file pages).</summary>
public readonly record struct LostRange(long Offset, long Length)
{
    /// <summary>One past the last lost byte.</summary>
    public long End => Offset + Length;
}

/// <summary>
/// The input byte ranges that failed with an I/O error (EIO on a failing disk, an unreadable part of /proc/vmcore).
/// Ranges are whole file pages, merged when contiguous. Safe to use from several threads; lookups take no lock.
/// </summary>
public sealed class InputErrorLog
{
    private readonly object _lock = new();
    private LostRange[] _ranges = [];   // sorted, merged; replaced (never changed) on every addition

    /// <summary>The first error's reason (e.g. "Input/output error"), or null.</summary>
    public string? FirstReason { get; private set; }

    /// <summary>True once any range was lost.</summary>
    public bool Any => Volatile.Read(ref _ranges).Length > 0;

    /// <summary>The lost ranges, sorted and merged.</summary>
    public IReadOnlyList<LostRange> Ranges => Volatile.Read(ref _ranges);

    /// <summary>All lost bytes.</summary>
    public long LostBytes => Volatile.Read(ref _ranges).Sum(r => r.Length);

    /// <summary>Records [offset, offset + length) as lost (merged with its neighbours).</summary>
    public void Add(long offset, long length, string reason)
    {
        if (length <= 0)
            return;
        lock (_lock)
        {
            FirstReason ??= reason;
            var list = new List<LostRange>(_ranges.Length + 1);
            long start = offset, end = offset + length;
            foreach (var r in _ranges)
            {
                if (r.End < start || r.Offset > end)
                {
                    list.Add(r);
                    continue;
                }
                start = Math.Min(start, r.Offset);
                end = Math.Max(end, r.End);
            }
            list.Add(new LostRange(start, end - start));
            list.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            Volatile.Write(ref _ranges, list.ToArray());
        }
    }

    /// <summary>True when some byte of [offset, offset + length) was lost.</summary>
    public bool Intersects(long offset, long length)
    {
        var ranges = Volatile.Read(ref _ranges);
        if (ranges.Length == 0 || length <= 0)
            return false;
        // The last range starting before the end of the query decides.
        int lo = 0, hi = ranges.Length - 1, found = -1;
        long end = offset + length;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ranges[mid].Offset < end)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found >= 0 && ranges[found].End > offset;
    }
}
