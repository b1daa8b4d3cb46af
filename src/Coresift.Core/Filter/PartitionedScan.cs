using Coresift.Kernel;

namespace Coresift.Filter;

/// <summary>
/// Scans one cycle as fixed parts of <see cref="PartPages"/> pfns (aligned in pfn space, not to the cycle), on one or
/// more threads. Each part starts without knowing the run the part before it may have started; those runs are applied
/// afterwards, in pfn order. The parts never depend on the thread count, so neither does the result.
/// </summary>
/// <remarks>
/// Free buddy blocks (at most 2^10 pages) and folios up to PMD size are naturally aligned and never cross a part. A larger
/// run (a 1 GiB hugetlb page) crosses parts only over its tail pages, which a part's own scan keeps (a tail follows its
/// head), so the run applied afterwards clears exactly what one sequential scan clears.
/// </remarks>
public sealed class PartitionedScan
{
    /// <summary>Pfns per part: 32768 (128 MiB of 4 KiB pages): enough parts for balance, few enough to cost nothing.</summary>
    public const ulong PartPages = 1UL << 15;

    private readonly KernelModel _kernel;
    private readonly DumpLevel _level;
    private readonly int _threads;
    private readonly ulong _partPages;

    /// <summary>False when the struct pages read may stay mapped (see <see cref="PageScanner.ReleasesStructPages"/>).</summary>
    public bool ReleasesStructPages { get; init; } = true;

    /// <summary>Warnings of every part scanned so far: unreadable page structs, and the classifier's corrupt-data counts.</summary>
    public PageScanner Warnings { get; }

    /// <summary>Creates a scanner for one level that uses up to threads threads per cycle.</summary>
    public PartitionedScan(KernelModel kernel, DumpLevel level, int threads) : this(kernel, level, threads, PartPages)
    {
    }

    /// <summary>Creates a scanner with another part size (a multiple of 64; tests use small parts to make runs cross them).</summary>
    internal PartitionedScan(KernelModel kernel, DumpLevel level, int threads, ulong partPages)
    {
        if (partPages == 0 || partPages % 64 != 0)
            throw new ArgumentOutOfRangeException(nameof(partPages));
        _partPages = partPages;
        _kernel = kernel;
        _level = level;
        _threads = Math.Max(1, threads);
        Warnings = new PageScanner(kernel, level, new DumpStats());
    }

    /// <summary>The classifier's view of the level (whether a scan is needed at all).</summary>
    public PageClassifier Classifier => Warnings.Classifier;

    /// <summary>Scans pfns [start, end) into bitmap, adding to stats; carryIn is the run reaching in from before start. Returns the run reaching past end.</summary>
    public (ulong Start, ulong End, PageClass Class) ScanCycle(Bitmap bitmap, ulong start, ulong end, (ulong Start, ulong End, PageClass Class) carryIn, DumpStats stats)
    {
        if (end <= start)
            return carryIn;
        ulong first = start / _partPages, last = (end - 1) / _partPages;
        int parts = checked((int)(last - first + 1));
        var carries = new (ulong Start, ulong End, PageClass Class)[parts];
        var warnings = new Common.DataWarnings?[parts];
        int workers = Math.Min(_threads, parts);
        var scanners = new PageScanner[workers];
        var partStats = new DumpStats[workers];
        for (int w = 0; w < workers; w++)
        {
            partStats[w] = new DumpStats();
            scanners[w] = new PageScanner(_kernel, _level, partStats[w]) { ReleasesStructPages = ReleasesStructPages };
        }

        // Scans part p with worker w's scanner; each part writes only its own bitmap words (parts are 64-pfn aligned).
        void ScanPart(int w, int p)
        {
            ulong s = Math.Max(start, (first + (ulong)p) * _partPages);
            ulong e = Math.Min(end, (first + (ulong)p + 1) * _partPages);
            var scanner = scanners[w];
            scanner.Carry = p == 0 ? carryIn : default;
            scanner.ScanCycle(bitmap, s, e);
            carries[p] = scanner.Carry;
            if (!scanner.Classifier.Warnings.IsEmpty)
                warnings[p] = scanner.Classifier.TakeWarnings();
        }

        if (workers == 1)
        {
            for (int p = 0; p < parts; p++)
                ScanPart(0, p);
        }
        else
        {
            int nextPart = -1;
            var threads = new Thread[workers - 1];
            Exception? failure = null;
            void Work(int w)
            {
                try
                {
                    for (int p = Interlocked.Increment(ref nextPart); p < parts; p = Interlocked.Increment(ref nextPart))
                        ScanPart(w, p);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                    Interlocked.Exchange(ref nextPart, parts);
                }
            }
            for (int w = 1; w < workers; w++)
            {
                int id = w;
                threads[w - 1] = new Thread(() => Work(id)) { IsBackground = true, Name = "coresift scan" };
                threads[w - 1].Start();
            }
            Work(0);
            foreach (var t in threads)
                t.Join();
            if (failure is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        for (int w = 0; w < workers; w++)
        {
            stats.AddScanCounts(partStats[w]);
            Warnings.Absorb(scanners[w]);
        }
        // Corrupt-data warnings in pfn order, so that each kind's first example is the same for any thread count.
        foreach (var w in warnings)
            if (w is not null)
                Warnings.Classifier.Warnings.AddFrom(w);
        // Runs that reach past their part, in pfn order; the one reaching furthest past end goes on to the next cycle.
        (ulong Start, ulong End, PageClass Class) carryOut = default;
        for (int p = 0; p < parts; p++)
        {
            var c = carries[p];
            if (c.End <= c.Start)
                continue;
            ulong s = Math.Max(c.Start, start), e = Math.Min(c.End, end);
            if (e > s)
                stats.Add(c.Class, bitmap.ClearRange(s, e));
            if (c.End > end && c.End > carryOut.End)
                carryOut = (end, c.End, c.Class);
        }
        return carryOut;
    }
}
