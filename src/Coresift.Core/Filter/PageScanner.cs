using System.Runtime.InteropServices;
using Coresift.Kernel;

namespace Coresift.Filter;

/// <summary>Reads page structs and clears excluded pfns from a cycle's 2nd bitmap, counting each category.</summary>
/// <remarks>A run that reaches past the cycle's end (a buddy block, a large folio) is carried into the next cycle.</remarks>
public sealed class PageScanner
{
    private const int ChunkPages = 512;   // page structs read at once (32 KiB with 64-byte structs)
    private const ulong ReleaseStep = 2 << 20;   // bytes of struct pages dropped from the input mapping at once

    private readonly KernelModel _kernel;
    private readonly PageClassifier _classifier;
    private readonly DumpLevel _level;
    private readonly DumpStats _stats;
    private readonly byte[] _buffer;
    private readonly int _structSize;
    private ulong _carryStart, _carryEnd;
    private PageClass _carryClass;

    /// <summary>A run excluded by a page before the current cycle that reaches into later cycles: [Start, End) of Class.</summary>
    public (ulong Start, ulong End, PageClass Class) Carry
    {
        get => (_carryStart, _carryEnd, _carryClass);
        set => (_carryStart, _carryEnd, _carryClass) = value;
    }

    /// <summary>False when the struct pages read may stay mapped (they fit the memory budget, and the metadata-first
    /// pass reads them again right after the scan): dropping them cost a drop and then a fault-in of each again.</summary>
    public bool ReleasesStructPages { get; init; } = true;

    /// <summary>Pfns whose struct page could not be read (kept, as the safe choice).</summary>
    public ulong UnreadableStructs { get; private set; }

    /// <summary>The classifier in use (for its warnings).</summary>
    public PageClassifier Classifier => _classifier;

    /// <summary>Creates a scanner for one dump level over the kernel's mem_map.</summary>
    public PageScanner(KernelModel kernel, DumpLevel level, DumpStats stats)
    {
        _kernel = kernel;
        _classifier = new PageClassifier(kernel.Traits ?? throw new ArgumentException("no kernel traits", nameof(kernel)), kernel.MemMap, kernel.MaxCompoundOrder);
        _level = level;
        _stats = stats;
        _structSize = kernel.Traits.PageStructSize;
        _buffer = new byte[(ChunkPages + 1) * _structSize];
    }

    /// <summary>Scans pfns [start, end) and clears excluded ones from bitmap (which covers at least that range).</summary>
    public void ScanCycle(Bitmap bitmap, ulong start, ulong end)
    {
        if (_carryEnd > _carryStart)
        {
            ulong s = Math.Max(_carryStart, start), e = Math.Min(_carryEnd, end);
            if (e > s)
                _stats.Add(_carryClass, bitmap.ClearRange(s, e));
            _carryStart = Math.Max(_carryStart, end);
        }
        var memMap = _kernel.MemMap!;
        foreach (var range in memMap.Ranges)
        {
            ulong lo = Math.Max(range.StartPfn, start), hi = Math.Min(range.EndPfn, end);
            if (lo >= hi)
                continue;
            ScanRange(bitmap, range, lo, hi, end);
        }
    }

    /// <summary>Scans the part [lo, hi) of one mem_map range.</summary>
    private void ScanRange(Bitmap bitmap, MemMapRange range, ulong lo, ulong hi, ulong cycleEnd)
    {
        var mem = _kernel.AddressSpace!;
        int size = _structSize;
        // At levels that keep cache, user and free pages, most pages pass one test of two words.
        bool quick = PageClassifier.ExcludesOnlyAlwaysGone(_level);
        ulong releaseFrom = 0, releaseTo = 0;      // struct pages read but not yet dropped from the input mapping
        ulong pendingStart = 0, pendingEnd = 0;   // excluded pfns not yet cleared from the bitmap: [start, end) of pendingClass
        PageClass pendingClass = PageClass.Keep;
        ulong pfn = lo;
        while (pfn < hi)
        {
            // Skip to the next pfn still dumpable; holes and already-excluded pfns need no struct page.
            ulong next = bitmap.NextSet(pfn);
            if (next >= hi)
                break;
            pfn = next;
            int count = (int)Math.Min((ulong)ChunkPages, hi - pfn);
            // One extra struct page lets a head at the chunk's end see its first tail page.
            int withNext = pfn + (ulong)count < range.EndPfn ? count + 1 : count;
            ulong vaddr = range.MemMapAddress + (pfn - range.StartPfn) * (ulong)size;
            bool chunkOk = TryView(vaddr, withNext * size, out ReadOnlySpan<byte> buf);
            ulong chunkEnd = pfn + (ulong)count;
            ulong chunkStart = pfn;
            while (pfn < chunkEnd)
            {
                if (quick && chunkOk)
                {
                    pfn = SkipSurelyKept(bitmap, buf, chunkStart, pfn, chunkEnd);
                    if (pfn >= chunkEnd)
                        break;
                }
                if (!bitmap.Test(pfn))
                {
                    pfn++;
                    continue;
                }
                int i = (int)(pfn - (chunkEnd - (ulong)count));
                PageVerdict verdict;
                if (chunkOk)
                {
                    // This struct page and the next when the chunk holds it, as a reference and a length (see Classify).
                    int at = i * size;
                    _stats.PageStructsRead++;
                    verdict = _classifier.Classify(pfn, ref MemoryMarshal.GetReference(buf[at..]), Math.Min(2 * size, buf.Length - at), _level);
                }
                else if (TryReadSingle(vaddr + (ulong)i * (ulong)size, pfn + 1 < range.EndPfn, out var page, out var nextPage))
                {
                    _stats.PageStructsRead++;
                    verdict = _classifier.Classify(pfn, page, nextPage, _level);
                }
                else
                {
                    UnreadableStructs++;
                    pfn++;
                    continue;
                }
                if (verdict.Class == PageClass.Keep)
                {
                    pfn++;
                    continue;
                }
                ulong runEnd = pfn + verdict.Pages;
                if (runEnd < pfn)
                    runEnd = ulong.MaxValue;
                ulong clearEnd = Math.Min(runEnd, cycleEnd);
                // Runs of one class that follow each other (order-0 cache or user pages, mostly) are cleared at once.
                if (verdict.Class != pendingClass || pfn != pendingEnd)
                {
                    if (pendingEnd > pendingStart)
                        _stats.Add(pendingClass, bitmap.ClearRange(pendingStart, pendingEnd));
                    pendingStart = pfn;
                    pendingClass = verdict.Class;
                }
                pendingEnd = clearEnd;
                if (runEnd > cycleEnd)
                {
                    _carryStart = cycleEnd;
                    _carryEnd = runEnd;
                    _carryClass = verdict.Class;
                }
                pfn = clearEnd;
                if (pfn >= chunkEnd)
                    break;
            }
            // The struct pages read are dropped from the mapping in steps of ReleaseStep: each drop interrupts the
            // other threads of the process (a TLB shootdown), so a drop per chunk made the scan slower on 2 threads.
            ulong readEnd = vaddr + (ulong)(count * size);
            if (releaseTo != vaddr)
                releaseFrom = vaddr;
            releaseTo = readEnd;
            if (releaseTo - releaseFrom >= ReleaseStep && ReleasesStructPages)
            {
                ReleaseStructPages(releaseFrom, releaseTo - releaseFrom);
                releaseFrom = releaseTo;
            }
        }
        if (releaseTo > releaseFrom && ReleasesStructPages)
            ReleaseStructPages(releaseFrom, releaseTo - releaseFrom);
        if (pendingEnd > pendingStart)
            _stats.Add(pendingClass, bitmap.ClearRange(pendingStart, pendingEnd));
    }

    /// <summary>Steps over pfns [pfn, end) already excluded or surely kept at a level that keeps cache, user and free
    /// pages (counting the struct pages read); returns the first pfn that needs the whole classifier, or end.</summary>
    private ulong SkipSurelyKept(Bitmap bitmap, ReadOnlySpan<byte> structs, ulong chunkStart, ulong pfn, ulong end)
    {
        int size = _structSize;
        ulong read = 0;
        for (; pfn < end; pfn++)
        {
            if (!bitmap.Test(pfn))
                continue;
            if (!_classifier.SurelyKeptAtBaseLevel(structs.Slice((int)(pfn - chunkStart) * size, size)))
                break;
            read++;
        }
        _stats.PageStructsRead += read;
        return pfn;
    }

    /// <summary>A view of length bytes of struct pages at vaddr: straight from the input mapping when possible, else copied.</summary>
    private bool TryView(ulong vaddr, int length, out ReadOnlySpan<byte> view)
    {
        var mem = _kernel.AddressSpace!;
        if (mem.TryTranslate(vaddr, out ulong paddr, out ulong mapping) && (vaddr & (mapping - 1)) + (ulong)length <= mapping
            && _kernel.Physical.TryGetSpan(paddr, length, out view))
            return true;
        Span<byte> buf = _buffer.AsSpan(0, length);
        view = buf;
        return mem.TryRead(vaddr, buf);
    }

    /// <summary>Adds another scanner's count of unreadable page structs to this one's (for scans split into parts).</summary>
    public void Absorb(PageScanner other) => UnreadableStructs += other.UnreadableStructs;

    /// <summary>Lets the input mapping drop the struct pages just read (each is read once; this keeps the resident set small).</summary>
    private void ReleaseStructPages(ulong vaddr, ulong length)
    {
        var mem = _kernel.AddressSpace!;
        // Piece by piece of the kernel's mapping (2 MiB pages of vmemmap, usually), which need not be contiguous.
        while (length > 0 && mem.TryTranslate(vaddr, out ulong paddr, out ulong mapping))
        {
            ulong piece = Math.Min(length, mapping - (vaddr & (mapping - 1)));
            _kernel.Physical.Release(paddr, piece);
            vaddr += piece;
            length -= piece;
        }
    }

    /// <summary>Reads one struct page (and the next) when a whole chunk could not be read.</summary>
    private bool TryReadSingle(ulong vaddr, bool wantNext, out ReadOnlySpan<byte> page, out ReadOnlySpan<byte> next)
    {
        var mem = _kernel.AddressSpace!;
        int size = _structSize;
        var buf = new byte[2 * size];
        page = default;
        next = default;
        if (!mem.TryRead(vaddr, buf.AsSpan(0, size)))
            return false;
        page = buf.AsSpan(0, size);
        if (wantNext && mem.TryRead(vaddr + (ulong)size, buf.AsSpan(size, size)))
            next = buf.AsSpan(size, size);
        return true;
    }
}
