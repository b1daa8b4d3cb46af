using Coresift.Common;

namespace Coresift.Input;

/// <summary>Physical memory of an ELF core, served from its PT_LOAD segments (binary search over a non-overlapping map).</summary>
public sealed class ElfPhysicalMemory : IPhysicalMemory
{
    /// <summary>A non-overlapping piece of the map: [Start, End) comes from file offset FileOffset, zeros past FileEnd.</summary>
    private readonly record struct Piece(ulong Start, ulong FileEnd, ulong End, long FileOffset);

    private readonly VmcoreFile _file;
    private readonly Piece[] _pieces;

    /// <summary>The PT_LOAD ranges in file order (p_paddr of -1 skipped).</summary>
    public IReadOnlyList<PhysicalRange> Segments { get; }

    /// <summary>Builds the physical map of the core's PT_LOADs; earlier segments win where they overlap.</summary>
    public ElfPhysicalMemory(VmcoreFile file, ElfCore core)
    {
        _file = file;
        var segs = new List<PhysicalRange>();
        var raw = new List<Piece>();
        foreach (var ph in core.Loads)
        {
            if (ph.PhysicalAddress == ulong.MaxValue || ph.MemorySize == 0)
                continue;
            segs.Add(new PhysicalRange(ph.PhysicalAddress, ph.PhysicalAddress + ph.FileSize, ph.PhysicalAddress + ph.MemorySize));
            raw.Add(new Piece(ph.PhysicalAddress, ph.PhysicalAddress + ph.FileSize, ph.PhysicalAddress + ph.MemorySize, (long)ph.Offset));
        }
        Segments = segs;
        _pieces = Flatten(raw);
    }

    /// <summary>Cuts overlapping segments so each physical byte has one source: the earliest segment in file order.</summary>
    /// <remarks>A sweep over the segment boundaries, O(n log n): a hostile core may have 65536 PT_LOADs.</remarks>
    private static Piece[] Flatten(List<Piece> input)
    {
        var all = new List<ulong>(2 * input.Count);
        foreach (var p in input)
        {
            all.Add(p.Start);
            all.Add(p.End);
        }
        ulong[] points = all.Distinct().Order().ToArray();
        var byStart = Enumerable.Range(0, input.Count).OrderBy(i => input[i].Start).ToArray();
        var active = new PriorityQueue<int, int>();   // segment indices; the lowest (earliest in the file) wins
        var result = new List<Piece>();
        int next = 0, runOwner = -1;
        ulong runStart = 0, runEnd = 0;
        for (int k = 0; k + 1 < points.Length; k++)
        {
            // [points[k], points[k + 1]) lies wholly inside or outside each segment.
            ulong x = points[k];
            while (next < byStart.Length && input[byStart[next]].Start <= x)
            {
                active.Enqueue(byStart[next], byStart[next]);
                next++;
            }
            while (active.TryPeek(out int top, out _) && input[top].End <= x)
                active.Dequeue();
            int owner = active.TryPeek(out int w, out _) ? w : -1;
            if (owner == runOwner && runEnd == x)
            {
                runEnd = points[k + 1];
                continue;
            }
            if (runOwner >= 0)
                result.Add(Slice(input[runOwner], runStart, runEnd));
            (runOwner, runStart, runEnd) = (owner, x, points[k + 1]);
        }
        if (runOwner >= 0)
            result.Add(Slice(input[runOwner], runStart, runEnd));
        return result.ToArray();
    }

    /// <summary>The part [start, end) of a piece, with its file offset moved along.</summary>
    private static Piece Slice(Piece p, ulong start, ulong end)
    {
        ulong fileEnd = Math.Clamp(p.FileEnd, start, end);
        return new Piece(start, fileEnd, end, p.FileOffset + (long)(start - p.Start));
    }

    /// <summary>Index of the piece holding paddr, or -1.</summary>
    private int Find(ulong paddr)
    {
        int lo = 0, hi = _pieces.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_pieces[mid].End <= paddr)
                lo = mid + 1;
            else if (_pieces[mid].Start > paddr)
                hi = mid - 1;
            else
                return mid;
        }
        return -1;
    }

    /// <inheritdoc />
    public bool TryRead(ulong paddr, Span<byte> destination) => Read(paddr, destination, direct: false);

    /// <inheritdoc />
    public bool TryReadDirect(ulong paddr, Span<byte> destination) => Read(paddr, destination, direct: true);

    /// <summary>Reads [paddr, paddr + destination.Length) piece by piece (zeros past a piece's file bytes); false at a hole.</summary>
    private bool Read(ulong paddr, Span<byte> destination, bool direct)
    {
        while (destination.Length > 0)
        {
            int i = Find(paddr);
            if (i < 0)
                return false;
            Piece p = _pieces[i];
            int n = (int)Math.Min((ulong)destination.Length, p.End - paddr);
            Span<byte> chunk = destination[..n];
            if (paddr < p.FileEnd)
            {
                int fromFile = (int)Math.Min((ulong)n, p.FileEnd - paddr);
                long offset = p.FileOffset + (long)(paddr - p.Start);
                if (direct)
                    _file.ReadDirect(offset, chunk[..fromFile]);
                else
                    _file.ReadOrZero(offset, chunk[..fromFile]);
                chunk[fromFile..].Clear();
            }
            else
            {
                chunk.Clear();
            }
            destination = destination[n..];
            paddr += (ulong)n;
        }
        return true;
    }

    /// <inheritdoc />
    public bool HasLostBytes(ulong paddr, ulong length)
    {
        if (!_file.Errors.Any)
            return false;
        ulong end = paddr + length;
        int i = Find(paddr);
        for (int k = Math.Max(0, i); k < _pieces.Length && _pieces[k].Start < end; k++)
        {
            var p = _pieces[k];
            ulong s = Math.Max(p.Start, paddr), e = Math.Min(p.FileEnd, end);
            if (e > s && _file.Errors.Intersects(p.FileOffset + (long)(s - p.Start), (long)(e - s)))
                return true;
        }
        return false;
    }

    /// <inheritdoc />
    public IReadOnlyList<LostPages> LostPages
    {
        get
        {
            var result = new List<LostPages>();
            string reason = _file.Errors.FirstReason ?? "Input/output error";
            foreach (var r in _file.Errors.Ranges)
            {
                int before = result.Count;
                foreach (var p in _pieces)
                {
                    long fileStart = p.FileOffset, fileEnd = p.FileOffset + (long)(p.FileEnd - p.Start);
                    long s = Math.Max(fileStart, r.Offset), e = Math.Min(fileEnd, r.End);
                    if (e <= s)
                        continue;
                    ulong ps = p.Start + (ulong)(s - fileStart), pe = p.Start + (ulong)(e - fileStart);
                    result.Add(new LostPages(s, e, ps, pe, reason));
                }
                if (result.Count == before)
                    result.Add(new LostPages(r.Offset, r.End, 0, 0, reason));
            }
            return result;
        }
    }

    /// <inheritdoc />
    public void Release(ulong paddr, ulong length) => ForFileRanges(paddr, length, _file.Release);

    /// <summary>Calls action with each file range (offset, length) that holds bytes of [paddr, paddr + length).</summary>
    private void ForFileRanges(ulong paddr, ulong length, Action<long, long> action)
    {
        ulong end = paddr + length;
        int i = Find(paddr);
        if (i < 0)
            i = ~0;
        for (int k = Math.Max(0, i); k < _pieces.Length && _pieces[k].Start < end; k++)
        {
            var p = _pieces[k];
            ulong s = Math.Max(p.Start, paddr), e = Math.Min(p.FileEnd, end);
            if (e > s)
                action(p.FileOffset + (long)(s - p.Start), (long)(e - s));
        }
    }

    /// <inheritdoc />
    public bool TryGetSpan(ulong paddr, int length, out ReadOnlySpan<byte> span)
    {
        int i = Find(paddr);
        if (i >= 0)
        {
            Piece p = _pieces[i];
            if (paddr + (ulong)length <= p.FileEnd)
                return _file.TryGetSpan(p.FileOffset + (long)(paddr - p.Start), length, out span);
        }
        span = default;
        return false;
    }
}
