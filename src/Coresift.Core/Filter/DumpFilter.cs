using Coresift.Input;
using Coresift.Kernel;

namespace Coresift.Filter;

/// <summary>
/// Decides which pages a dump keeps, cycle by cycle: every page struct is read once (pass 1), each cycle's 2nd bitmap is
/// kept compactly while the budget allows, and only cycles that did not fit are scanned again when the writer asks.
/// </summary>
public sealed class DumpFilter : IDumpableCycles
{
    private readonly KernelModel _kernel;
    private readonly DumpLevel _level;
    private readonly long _cacheBudget;
    private readonly int _threads;
    private PartitionedScan? _scan;
    private (ulong, ulong, PageClass) _carry;                        // the run reaching into the next cycle of pass 1
    private object?[] _cache = [];                                   // Bitmap (one cycle), CompactBitmap, or null (evicted)
    private (ulong, ulong, PageClass)[] _carryIn = [];               // the scanner's carry at each cycle's start
    private long _cacheBytes;
    private Bitmap? _backed, _dumpable;
    private ulong[] _pagesBefore = [];                               // dumpable pages in the cycles before each cycle

    /// <summary>The counters, filled by <see cref="Run"/>.</summary>
    public DumpStats Stats { get; } = new();

    /// <summary>How pfns are cut into cycles.</summary>
    public CyclePlan Plan { get; }

    /// <summary>Set bits of the 2nd bitmap over all cycles (page descriptors a kdump file needs).</summary>
    public ulong DumpablePages { get; private set; }

    /// <summary>Cycles whose bitmap was kept after pass 1.</summary>
    public ulong CachedCycles { get; private set; }

    /// <summary>Cycles scanned a second time because their bitmap did not fit.</summary>
    public ulong RescannedCycles { get; private set; }

    /// <summary>Page structs read again by rescans of evicted cycles.</summary>
    public ulong RescanReads { get; private set; }

    /// <summary>The warnings of every page-struct scan, when the level needed one.</summary>
    public PageScanner? Scanner => _scan?.Warnings;

    /// <summary>Creates a filter for one dump level; one cycle unless a plan says otherwise; threads scan each cycle's parts.</summary>
    public DumpFilter(KernelModel kernel, DumpLevel level, CyclePlan? plan = null, long cacheBudget = long.MaxValue, int threads = 1)
    {
        _kernel = kernel;
        _level = level;
        Plan = plan ?? new CyclePlan(kernel.MaxMapnr, Math.Max(CyclePlan.Alignment, kernel.MaxMapnr));
        _cacheBudget = cacheBudget;
        _threads = Math.Max(1, threads);
    }

    /// <summary>True when the struct pages read may stay mapped after the scan (see <see cref="PageScanner.ReleasesStructPages"/>).</summary>
    public bool KeepStructPagesMapped { get; init; }

    /// <summary>True when the page structs must be read for this level and kernel.</summary>
    public static bool NeedsPageStructs(DumpLevel level) =>
        (level & (DumpLevel.NonPrivateCache | DumpLevel.PrivateCache | DumpLevel.User | DumpLevel.Free)) != 0;

    /// <summary>Called after each cycle of pass 1 with (pfns done, max_mapnr), for a progress line.</summary>
    public Action<ulong, ulong>? Progress { get; set; }

    /// <summary>Pass 1: scans every cycle once, counts every category, keeps bitmaps within the budget.</summary>
    public void Run(bool countZeroPages)
    {
        ulong max = _kernel.MaxMapnr;
        int shift = _kernel.PageShift;
        Stats.TotalPages = max;
        foreach (var seg in _kernel.Physical.Segments)
        {
            ulong first = seg.Start >> shift, end = Math.Min(seg.MemEnd >> shift, max);
            if (end > first)
                Stats.OriginalPages += end - first;
        }
        if (_kernel.MemMap is not null && _kernel.Traits is { CanScanPages: true })
        {
            var scan = new PartitionedScan(_kernel, _level, _threads) { ReleasesStructPages = !KeepStructPagesMapped };
            if (NeedsPageStructs(_level) || scan.Classifier.NeedsScan(_level))
                _scan = scan;
        }
        ulong cycles = Plan.Count;
        _cache = new object?[cycles];
        _carryIn = new (ulong, ulong, PageClass)[cycles];
        _pagesBefore = new ulong[cycles];
        for (ulong i = 0; i < cycles; i++)
        {
            var (s, e) = Plan.Cycle(i);
            _carryIn[i] = _carry;
            var bm = InitialBitmap(s, e);
            if (_scan is not null)
                _carry = _scan.ScanCycle(bm, s, e, _carry, Stats);
            _pagesBefore[i] = DumpablePages;
            DumpablePages += bm.PopCount();
            if (countZeroPages && (_level & DumpLevel.Zero) != 0)
                Stats.Zero += CountZeroPages(bm);
            Keep(i, bm);
            Progress?.Invoke(e, max);
        }
    }

    /// <summary>Keeps a cycle's bitmap: as is when there is one cycle, compactly while the budget allows, else not at all.</summary>
    private void Keep(ulong i, Bitmap bm)
    {
        if (Plan.Count == 1)
        {
            _cache[i] = bm;
            CachedCycles++;
            return;
        }
        var compact = CompactBitmap.Encode(bm);
        if (_cacheBytes + compact.Bytes <= _cacheBudget)
        {
            _cache[i] = compact;
            _cacheBytes += compact.Bytes;
            CachedCycles++;
        }
    }

    /// <summary>A cycle's 2nd bitmap before page structs are read: backed pfns with file bytes (and, refiltering, what the source kept).</summary>
    private Bitmap InitialBitmap(ulong start, ulong end)
    {
        var bm = BackedCycle(start, end);
        int shift = _kernel.PageShift;
        foreach (var seg in _kernel.Physical.Segments)
            if (seg.FileEnd < seg.MemEnd)
                bm.ClearRange((seg.FileEnd + (1UL << shift) - 1) >> shift, seg.MemEnd >> shift);
        // Pfns covered by several segments must be readable from at least one; re-set those that are.
        foreach (var seg in _kernel.Physical.Segments)
            bm.SetRange(seg.Start >> shift, Math.Min(seg.FileEnd >> shift, _kernel.MaxMapnr));
        // A kdump-compressed source has already dropped pages: only what it kept can be dumped again.
        if (_kernel.Physical is KdumpFile source)
            bm.AndWith(source.Dumpable);
        return bm;
    }

    /// <summary>The 1st bitmap of pfns [start, end): pfns inside some input segment.</summary>
    public Bitmap BackedCycle(ulong start, ulong end)
    {
        var bm = new Bitmap(start, end - start);
        int shift = _kernel.PageShift;
        foreach (var seg in _kernel.Physical.Segments)
            bm.SetRange(seg.Start >> shift, Math.Min(seg.MemEnd >> shift, _kernel.MaxMapnr));
        return bm;
    }

    /// <summary>Pass 2: a cycle's 2nd bitmap, from the cache or scanned again (counters are not touched twice).</summary>
    public Bitmap DumpableCycle(ulong index)
    {
        switch (_cache[index])
        {
            case Bitmap b:
                return b;
            case CompactBitmap c:
                return c.Decode();
        }
        var (s, e) = Plan.Cycle(index);
        var bm = InitialBitmap(s, e);
        if (_scan is not null)
        {
            var scratch = new DumpStats();
            new PartitionedScan(_kernel, _level, _threads).ScanCycle(bm, s, e, _carryIn[index], scratch);
            Stats.PageStructsRead += scratch.PageStructsRead;
            RescanReads += scratch.PageStructsRead;
        }
        RescannedCycles++;
        return bm;
    }

    /// <summary>
    /// A cursor over the 2nd bitmap for counts and ranks without whole bitmaps: it holds the one cycle's bitmap it
    /// fetched last, so ascending calls fetch (and maybe rescan) each cycle once. Drop it when done, since that bitmap
    /// is memory beyond the cycle plan's.
    /// </summary>
    public DumpableCursor NewCursor() => new(this);

    /// <summary>See <see cref="NewCursor"/>.</summary>
    public sealed class DumpableCursor
    {
        private readonly DumpFilter _f;
        private ulong _cycle = ulong.MaxValue;
        private Bitmap? _bitmap;
        private ulong _at, _below;   // _below: dumpable pfns of the fetched cycle in [BasePfn, _at)

        internal DumpableCursor(DumpFilter filter) => _f = filter;

        /// <summary>Cycle i's bitmap, fetched unless it is the one held.</summary>
        private Bitmap Fetch(ulong i)
        {
            if (_cycle != i || _bitmap is null)
            {
                _bitmap = _f.DumpableCycle(i);
                _cycle = i;
                _at = _bitmap.BasePfn;
                _below = 0;
            }
            return _bitmap;
        }

        /// <summary>Dumpable pfns in [start, end): whole cycles from their counts, partial ones from their bitmap.</summary>
        public ulong Count(ulong start, ulong end)
        {
            var plan = _f.Plan;
            end = Math.Min(end, _f._kernel.MaxMapnr);
            ulong n = 0;
            while (start < end)
            {
                ulong i = plan.IndexOf(start);
                var (cs, ce) = plan.Cycle(i);
                ulong stop = Math.Min(end, ce);
                n += start == cs && stop == ce
                    ? (i + 1 < (ulong)_f._pagesBefore.Length ? _f._pagesBefore[i + 1] : _f.DumpablePages) - _f._pagesBefore[i]
                    : Fetch(i).CountSet(start, stop);
                start = stop;
            }
            return n;
        }

        /// <summary>The index of pfn among the dumpable pages (its page descriptor's place), or null when it is not
        /// dumpable, or when its cycle's bitmap was not kept (no rescan just for this). Ascending pfns cost a popcount
        /// of the words between them: no rank table.</summary>
        public ulong? RankOf(ulong pfn)
        {
            if (pfn >= _f._kernel.MaxMapnr || _f._cache.Length == 0)
                return null;
            ulong cycle = _f.Plan.IndexOf(pfn);
            if (_f._cache[cycle] is null)
                return null;
            var bitmap = Fetch(cycle);
            if (!bitmap.Test(pfn))
                return null;
            if (pfn < _at)
            {
                _at = bitmap.BasePfn;
                _below = 0;
            }
            _below += bitmap.CountSet(_at, pfn);
            _at = pfn;
            return _f._pagesBefore[cycle] + _below;
        }
    }

    /// <summary>The 1st bitmap over all pfns, built on first use (tests; writers take it cycle by cycle).</summary>
    internal Bitmap Backed => _backed ??= BackedCycle(0, _kernel.MaxMapnr);

    /// <summary>The 2nd bitmap over all pfns, built on first use (tests; writers take it cycle by cycle, since on a
    /// machine of terabytes it would not fit the budget).</summary>
    internal Bitmap Dumpable
    {
        get
        {
            if (_dumpable is not null)
                return _dumpable;
            if (Plan.Count == 1 && _cache.Length == 1 && _cache[0] is Bitmap only)
                return _dumpable = only;
            var full = new Bitmap(0, _kernel.MaxMapnr);
            for (ulong i = 0; i < Plan.Count; i++)
            {
                var c = DumpableCycle(i);
                for (ulong p = c.NextSet(c.BasePfn); p != ulong.MaxValue; p = c.NextSet(p + 1))
                {
                    ulong run = p + 1;
                    while (run < c.BasePfn + c.Length && c.Test(run))
                        run++;
                    full.SetRange(p, run);
                    p = run - 1;
                }
            }
            return _dumpable = full;
        }
    }

    /// <summary>Reads every dumpable page of a cycle and counts the all-zero ones.</summary>
    private ulong CountZeroPages(Bitmap dumpable)
    {
        int size = _kernel.PageSize;
        var buf = new byte[size];
        ulong zero = 0;
        IPhysicalMemory phys = _kernel.Physical;
        for (ulong pfn = dumpable.NextSet(dumpable.BasePfn); pfn != ulong.MaxValue; pfn = dumpable.NextSet(pfn + 1))
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
