using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Coresift.Common;

namespace Coresift.Kernel;

/// <summary>What the page-struct scan decided for a page (or a run of pages starting at it).</summary>
public enum PageClass : long
{
    /// <summary>Kept (kernel data, or nothing the dump level excludes).</summary>
    Keep,
    /// <summary>Page cache without private data (dump-level bit 2).</summary>
    NonPrivateCache,
    /// <summary>Page cache with private data, e.g. buffer heads (dump-level bit 4).</summary>
    PrivateCache,
    /// <summary>User process data: anonymous, KSM and hugetlb pages (dump-level bit 8).</summary>
    User,
    /// <summary>Free buddy pages and unaccepted memory (dump-level bit 16).</summary>
    Free,
    /// <summary>Hardware-poisoned pages (always excluded).</summary>
    Hwpoison,
    /// <summary>Logically offline pages: balloon, virtio-mem, hot-add holes (always excluded).</summary>
    Offline,
}

/// <summary>A decision for a run of Pages pages starting at the scanned pfn.</summary>
public readonly record struct PageVerdict(PageClass Class, ulong Pages)
{
    /// <summary>Keep this one page and go on with the next.</summary>
    public static PageVerdict KeepOne => new(PageClass.Keep, 1);
}

/// <summary>Dump-level bits (makedumpfile's -d).</summary>
[Flags]
public enum DumpLevel
{
    /// <summary>Keep everything.</summary>
    None = 0,
    /// <summary>Exclude pages filled with zero.</summary>
    Zero = 1,
    /// <summary>Exclude non-private page cache.</summary>
    NonPrivateCache = 2,
    /// <summary>Exclude all page cache.</summary>
    PrivateCache = 4,
    /// <summary>Exclude user process data.</summary>
    User = 8,
    /// <summary>Exclude free pages.</summary>
    Free = 16,
    /// <summary>All of the above.</summary>
    All = 31,
}

/// <summary>Decides one struct page's fate from its bytes and the dump level. Does no I/O.</summary>
/// <remarks>
/// Struct pages that cannot be (impossible orders, several page types at once, tails whose head is off the map) are
/// kept, as the safe choice, and counted per kind in <see cref="Warnings"/>.
/// </remarks>
/// <param name="traits">The kernel generation's rules.</param>
/// <param name="memMap">The page-struct map, to check where compound tails point (null: not checked).</param>
/// <param name="maxOrder">Highest compound (folio) order believed (Limits.MaxBuddyOrder).</param>
public sealed class PageClassifier(KernelTraits traits, MemMap? memMap = null, int maxOrder = 20)
{
    private const ulong PageMappingAnon = 1;    // bit 0 of page->mapping: anonymous (also KSM)
    private const ulong CompoundTailBit = 1;    // bit 0 of page->compound_head: this is a tail page

    /// <summary>Warning kind: a free (buddy) page whose order is larger than the kernel's free lists.</summary>
    public const string KindBuddyOrder = "impossible free (buddy) page order";
    /// <summary>Warning kind: a page marked with several page types, or free and on an LRU list or compound.</summary>
    public const string KindFlags = "impossible page flags / page type combination";
    /// <summary>Warning kind: a compound head whose order is beyond the limit or does not fit its pfn.</summary>
    public const string KindCompoundOrder = "impossible compound (folio) order";
    /// <summary>Warning kind: a tail page whose compound_head points outside the page structs, or not to a head before it.</summary>
    public const string KindTailHead = "compound tail page pointing off the page-struct map";
    /// <summary>What is done about each of them.</summary>
    public const string KeptAction = "those pages were kept";

    /// <summary>Corrupt struct pages seen, per kind (kept, as the safe choice).</summary>
    public DataWarnings Warnings { get; private set; } = new();

    /// <summary>Hands over the warnings collected so far and starts a new collector (scans cut into parts merge them in pfn order).</summary>
    public DataWarnings TakeWarnings()
    {
        var taken = Warnings;
        Warnings = new DataWarnings();
        return taken;
    }

    /// <summary>The traits this classifier applies.</summary>
    public KernelTraits Traits => traits;

    /// <summary>True when the level needs the page-struct scan at all (hwpoison and offline are always checked when known).</summary>
    public bool NeedsScan(DumpLevel level) =>
        (level & (DumpLevel.NonPrivateCache | DumpLevel.PrivateCache | DumpLevel.User | DumpLevel.Free)) != 0
        || traits.PgHwpoison >= 0 || traits.Offline.IsKnown;

    /// <summary>True when the level excludes no page cache, user or free pages: only hwpoison and offline pages can go.</summary>
    public static bool ExcludesOnlyAlwaysGone(DumpLevel level) =>
        (level & (DumpLevel.NonPrivateCache | DumpLevel.PrivateCache | DumpLevel.User | DumpLevel.Free)) == 0;

    /// <summary>True when a page is neither hwpoison nor offline, so that Classify keeps it at a level for which
    /// <see cref="ExcludesOnlyAlwaysGone"/> holds (the quick test of the scan; it records no warnings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool SurelyKeptAtBaseLevel(ReadOnlySpan<byte> page)
    {
        ulong flags = _quickFlagsOffset >= 0 ? BinaryPrimitives.ReadUInt64LittleEndian(page[_quickFlagsOffset..]) : 0;
        uint mapcount = _quickMapcountOffset >= 0 ? BinaryPrimitives.ReadUInt32LittleEndian(page[_quickMapcountOffset..]) : uint.MaxValue;
        return (flags & _quickHwpoisonMask) == 0 && !_quickOffline.Matches(flags, mapcount);
    }

    // The quick test's inputs, copied out of the traits once.
    private readonly int _quickFlagsOffset = traits.FlagsOffset;
    private readonly int _quickMapcountOffset = traits.MapcountOffset;
    private readonly ulong _quickHwpoisonMask = traits.PgHwpoison is >= 0 and < 64 ? 1UL << traits.PgHwpoison : 0;
    private readonly PageTypeTest _quickOffline = traits.Offline;

    /// <summary>Classifies the page at pfn; page is its struct page, next the following one (empty if unknown).</summary>
    public PageVerdict Classify(ulong pfn, ReadOnlySpan<byte> page, ReadOnlySpan<byte> next, DumpLevel level) =>
        ClassifyCore(pfn, page, next, level);

    /// <summary>Classifies the page at pfn from the length bytes at structs: its struct page, then the next one when length holds it.</summary>
    /// <remarks>The scan's entry: a reference and a length travel in registers, where two span arguments were copied
    /// through the stack with 4-byte stores and reloaded as 8 bytes (a store-forwarding stall per page).</remarks>
    internal PageVerdict Classify(ulong pfn, ref byte structs, int length, DumpLevel level)
    {
        var pair = MemoryMarshal.CreateReadOnlySpan(ref structs, length);
        return ClassifyCore(pfn, pair[..traits.PageStructSize], pair[traits.PageStructSize..], level);
    }

    /// <summary>The classification itself (inlined into both entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PageVerdict ClassifyCore(ulong pfn, ReadOnlySpan<byte> page, ReadOnlySpan<byte> next, DumpLevel level)
    {
        var t = traits;
        ulong flags = ReadWord(page, t.FlagsOffset);
        ulong mapping = ReadWord(page, t.MappingOffset);
        uint mapcount = t.MapcountOffset >= 0 ? BinaryPrimitives.ReadUInt32LittleEndian(page[t.MapcountOffset..]) : uint.MaxValue;

        if (t.CompoundHeadOffset >= 0 && ReadWord(page, t.CompoundHeadOffset) is var compoundHead && (compoundHead & CompoundTailBit) != 0)
        {
            if (memMap is not null)
                CheckTail(pfn, compoundHead & ~CompoundTailBit);
            return PageVerdict.KeepOne; // tail: its head decided for the whole compound page
        }

        bool slab = t.Slab.Matches(flags, mapcount);
        bool head = t.HeadMask != 0 && (flags & t.HeadMask) != 0;
        bool buddy = t.Buddy.Matches(flags, mapcount);

        // A free page is on no LRU list, is not compound and has no other type: anything else is corrupt.
        if (buddy && (slab || head || Bit(flags, t.PgLru) || t.Offline.Matches(flags, mapcount)
            || (t.HugetlbSource == HugetlbSource.HeadPageType && t.HugetlbType.Matches(flags, mapcount))))
        {
            if (Warnings.Add(KindFlags, KeptAction))
                Warnings.SetExample(KindFlags, $"pfn 0x{pfn:x}, flags 0x{flags:x}, page_type 0x{mapcount:x}");
            return PageVerdict.KeepOne;
        }

        if ((level & DumpLevel.Free) != 0 && !slab)
        {
            if (buddy)
            {
                ulong buddyOrder = ReadWord(page, t.PrivateOffset);
                if (buddyOrder >= (ulong)t.FreeAreaOrders)
                {
                    if (Warnings.Add(KindBuddyOrder, KeptAction))
                        Warnings.SetExample(KindBuddyOrder, $"pfn 0x{pfn:x}, order {buddyOrder}, max order {t.FreeAreaOrders - 1}");
                    return PageVerdict.KeepOne;
                }
                return new(PageClass.Free, 1UL << (int)buddyOrder);
            }
            if (t.Unaccepted.Matches(flags, mapcount))
                return new(PageClass.Free, 1UL << (t.FreeAreaOrders - 1));
        }

        int order = 0;
        bool hugetlb = false;
        if (head && next.Length >= t.PageStructSize)
        {
            order = ReadOrder(next);
            hugetlb = IsHugetlbHead(flags, mapcount, next);
            // Folios are naturally aligned and at most maxOrder: a head that says otherwise is corrupt.
            if (order > maxOrder || (pfn & ((1UL << order) - 1)) != 0)
            {
                if (Warnings.Add(KindCompoundOrder, KeptAction))
                    Warnings.SetExample(KindCompoundOrder, $"pfn 0x{pfn:x}, order {order}, limit {maxOrder}");
                return PageVerdict.KeepOne;
            }
        }
        else if (head && t.HugetlbSource == HugetlbSource.HeadPageType)
        {
            hugetlb = t.HugetlbType.Matches(flags, mapcount);
        }

        bool anon = (mapping & PageMappingAnon) != 0 && !slab && !HasKernelPageType(mapcount);
        bool cache = IsCache(flags);
        bool privateData = Bit(flags, t.PgPrivate);
        ulong run = 1UL << order;

        if ((level & DumpLevel.NonPrivateCache) != 0 && cache && !privateData && !anon)
            return new(PageClass.NonPrivateCache, run);
        if ((level & DumpLevel.PrivateCache) != 0 && cache && !anon)
            return new(privateData ? PageClass.PrivateCache : PageClass.NonPrivateCache, run);
        if ((level & DumpLevel.User) != 0 && (anon || hugetlb))
            return new(PageClass.User, run);
        if (Bit(flags, t.PgHwpoison))
            return new(PageClass.Hwpoison, 1);
        if (t.Offline.Matches(flags, mapcount) && !slab)
            return new(PageClass.Offline, 1);
        return PageVerdict.KeepOne;
    }

    /// <summary>Checks that a tail's compound_head points to a struct page of the map, at a head at most 2^maxOrder pages before it.</summary>
    private void CheckTail(ulong pfn, ulong headAddress)
    {
        var ranges = memMap!.Ranges;
        ulong size = (ulong)traits.PageStructSize;
        // The tail's own range first (heads nearly always share it), then any other.
        int own = FindRange(ranges, pfn);
        for (int k = -1; k < ranges.Count; k++)
        {
            int idx = k < 0 ? own : k;
            if (idx < 0 || (k >= 0 && k == own))
                continue;
            var r = ranges[idx];
            ulong offset = headAddress - r.MemMapAddress;
            if (headAddress < r.MemMapAddress || offset / size >= r.EndPfn - r.StartPfn)
                continue;
            ulong headPfn = r.StartPfn + offset / size;
            if (offset % size == 0 && headPfn < pfn && pfn - headPfn < (1UL << maxOrder))
                return;
            break;
        }
        if (Warnings.Add(KindTailHead, "they were kept (the tail pages follow no head)"))
            Warnings.SetExample(KindTailHead, $"pfn 0x{pfn:x}, compound_head 0x{headAddress | CompoundTailBit:x}");
    }

    /// <summary>Index of the range holding pfn, or -1.</summary>
    private static int FindRange(IReadOnlyList<MemMapRange> ranges, ulong pfn)
    {
        int lo = 0, hi = ranges.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ranges[mid].EndPfn <= pfn)
                lo = mid + 1;
            else if (ranges[mid].StartPfn > pfn)
                hi = mid - 1;
            else
                return mid;
        }
        return -1;
    }

    /// <summary>True when the page is page cache: on an LRU list, or in the swap cache (PG_swapcache only counts with PG_swapbacked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsCache(ulong flags)
    {
        var t = traits;
        if (Bit(flags, t.PgLru))
            return true;
        return Bit(flags, t.PgSwapCache) && (t.PgSwapBacked < 0 || Bit(flags, t.PgSwapBacked));
    }

    /// <summary>True when the page_type word holds a kernel page type in the 6.12+ encoding (slab, table, zsmalloc...).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HasKernelPageType(uint mapcount) =>
        traits.Buddy.Encoding == PageTypeEncoding.TopByte && (mapcount >> 24) is >= 0xf0 and < 0xff;

    /// <summary>The compound order stored in the first tail page.</summary>
    private int ReadOrder(ReadOnlySpan<byte> next)
    {
        var t = traits;
        return t.OrderSource switch
        {
            CompoundOrderSource.PageField8 => next[t.OrderOffset],
            CompoundOrderSource.PageField16 => BinaryPrimitives.ReadUInt16LittleEndian(next[t.OrderOffset..]),
            CompoundOrderSource.TailFlagsLowByte => (int)(ReadWord(next, t.FlagsOffset) & 0xff),
            CompoundOrderSource.LruPrev => (int)(ReadWord(next, t.LruOffset + 8) & 0xffff),
            _ => 0,
        };
    }

    /// <summary>True when a compound head is a hugetlb page, by this generation's rule.</summary>
    private bool IsHugetlbHead(ulong flags, uint mapcount, ReadOnlySpan<byte> next)
    {
        var t = traits;
        return t.HugetlbSource switch
        {
            HugetlbSource.HeadPageType => t.HugetlbType.Matches(flags, mapcount),
            HugetlbSource.TailFlagBit => Bit(ReadWord(next, t.FlagsOffset), t.PgHugetlb),
            HugetlbSource.Dtor8 => next[t.DtorOffset] == t.HugetlbDtorValue,
            HugetlbSource.Dtor16 => BinaryPrimitives.ReadUInt16LittleEndian(next[t.DtorOffset..]) == t.HugetlbDtorValue,
            HugetlbSource.LruNextDestructor => ReadWord(next, t.LruOffset) == t.HugetlbDtorValue,
            _ => false,
        };
    }

    /// <summary>Reads the unsigned long at offset, or 0 when the field is unknown.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadWord(ReadOnlySpan<byte> page, int offset) =>
        offset >= 0 ? BinaryPrimitives.ReadUInt64LittleEndian(page[offset..]) : 0;

    /// <summary>Tests a flags bit; unknown bits (-1) are never set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Bit(ulong flags, int bit) => bit is >= 0 and < 64 && (flags & (1UL << bit)) != 0;
}
