using Coresift.Input;
using Coresift.Kernel;

namespace Coresift.Filter;

/// <summary>Builds the 1st (backed memory) and 2nd (dumpable) bitmaps of a dump and counts every category.</summary>
public sealed class DumpFilter
{
    private readonly KernelModel _kernel;
    private readonly DumpLevel _level;

    /// <summary>The counters, filled by <see cref="Run"/>.</summary>
    public DumpStats Stats { get; } = new();

    /// <summary>Pfns backed by the input (1st bitmap).</summary>
    public Bitmap? Backed { get; private set; }

    /// <summary>Pfns to dump (2nd bitmap); zero pages stay set, as in kdump-compressed output.</summary>
    public Bitmap? Dumpable { get; private set; }

    /// <summary>The scanner used, when the level needed one (for warnings).</summary>
    public PageScanner? Scanner { get; private set; }

    /// <summary>Creates a filter for one dump level.</summary>
    public DumpFilter(KernelModel kernel, DumpLevel level)
    {
        _kernel = kernel;
        _level = level;
    }

    /// <summary>True when the page structs must be read for this level and kernel.</summary>
    public static bool NeedsPageStructs(DumpLevel level) =>
        (level & (DumpLevel.NonPrivateCache | DumpLevel.PrivateCache | DumpLevel.User | DumpLevel.Free)) != 0;

    /// <summary>Builds both bitmaps over all pfns, scans page structs and, when asked, counts zero pages.</summary>
    public void Run(bool countZeroPages)
    {
        ulong max = _kernel.MaxMapnr;
        int shift = _kernel.PageShift;
        var backed = new Bitmap(0, max);
        var dumpable = new Bitmap(0, max);
        Stats.TotalPages = max;
        foreach (var seg in _kernel.Physical.Segments)
        {
            ulong first = seg.Start >> shift, end = Math.Min(seg.MemEnd >> shift, max);
            if (end <= first)
                continue;
            Stats.OriginalPages += end - first;
            backed.SetRange(first, end);
        }
        dumpable.CopyFrom(backed);
        // Pages past p_filesz have no bytes in the input: they are not dumped.
        foreach (var seg in _kernel.Physical.Segments)
            if (seg.FileEnd < seg.MemEnd)
                dumpable.ClearRange((seg.FileEnd + (1UL << shift) - 1) >> shift, seg.MemEnd >> shift);
        // Pfns covered by several segments must be readable from at least one; re-set those that are.
        foreach (var seg in _kernel.Physical.Segments)
            dumpable.SetRange(seg.Start >> shift, Math.Min(seg.FileEnd >> shift, max));
        // A kdump-compressed source has already dropped pages: only what it kept can be dumped again.
        if (_kernel.Physical is KdumpFile source)
            dumpable.And(source.Dumpable);

        if (_kernel.MemMap is not null && _kernel.Traits is { CanScanPages: true })
        {
            Scanner = new PageScanner(_kernel, _level, Stats);
            if (NeedsPageStructs(_level) || Scanner.Classifier.NeedsScan(_level))
                Scanner.ScanCycle(dumpable, 0, max);
        }
        if (countZeroPages && (_level & DumpLevel.Zero) != 0)
            Stats.Zero = CountZeroPages(dumpable);
        Backed = backed;
        Dumpable = dumpable;
    }

    /// <summary>Reads every dumpable page and counts the all-zero ones.</summary>
    private ulong CountZeroPages(Bitmap dumpable)
    {
        int size = _kernel.PageSize;
        var buf = new byte[size];
        ulong zero = 0;
        IPhysicalMemory phys = _kernel.Physical;
        for (ulong pfn = dumpable.NextSet(0); pfn != ulong.MaxValue; pfn = dumpable.NextSet(pfn + 1))
        {
            ulong paddr = pfn << _kernel.PageShift;
            if (!phys.TryGetSpan(paddr, size, out ReadOnlySpan<byte> page))
            {
                if (!phys.TryRead(paddr, buf))
                    continue;
                page = buf;
            }
            if (!page.ContainsAnyExcept((byte)0))
                zero++;
        }
        return zero;
    }
}
