using System.Buffers.Binary;

namespace Coresift.Kernel;

/// <summary>What the page-struct scan decided for a page (or a run of pages starting at it).</summary>
public enum PageClass : byte
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
public sealed class PageClassifier(KernelTraits traits)
{
    private const ulong PageMappingAnon = 1;    // bit 0 of page->mapping: anonymous (also KSM)
    private const ulong CompoundTailBit = 1;    // bit 0 of page->compound_head: this is a tail page

    /// <summary>Count of buddy heads whose order was impossible (kept, as the safe choice).</summary>
    public long InvalidBuddyOrders { get; private set; }

    /// <summary>The first pfn seen with an impossible buddy order, for the warning.</summary>
    public ulong FirstInvalidBuddyPfn { get; private set; }

    /// <summary>The first impossible buddy order seen.</summary>
    public ulong FirstInvalidBuddyOrder { get; private set; }

    /// <summary>Adds another classifier's counts; the first invalid page is the one with the lowest pfn.</summary>
    public void Absorb(PageClassifier other)
    {
        if (other.InvalidBuddyOrders == 0)
            return;
        if (InvalidBuddyOrders == 0 || other.FirstInvalidBuddyPfn < FirstInvalidBuddyPfn)
        {
            FirstInvalidBuddyPfn = other.FirstInvalidBuddyPfn;
            FirstInvalidBuddyOrder = other.FirstInvalidBuddyOrder;
        }
        InvalidBuddyOrders += other.InvalidBuddyOrders;
    }

    /// <summary>The traits this classifier applies.</summary>
    public KernelTraits Traits => traits;

    /// <summary>True when the level needs the page-struct scan at all (hwpoison and offline are always checked when known).</summary>
    public bool NeedsScan(DumpLevel level) =>
        (level & (DumpLevel.NonPrivateCache | DumpLevel.PrivateCache | DumpLevel.User | DumpLevel.Free)) != 0
        || traits.PgHwpoison >= 0 || traits.Offline.IsKnown;

    /// <summary>Classifies the page at pfn; page is its struct page, next the following one (empty if unknown).</summary>
    public PageVerdict Classify(ulong pfn, ReadOnlySpan<byte> page, ReadOnlySpan<byte> next, DumpLevel level)
    {
        var t = traits;
        ulong flags = ReadWord(page, t.FlagsOffset);
        ulong mapping = ReadWord(page, t.MappingOffset);
        uint mapcount = t.MapcountOffset >= 0 ? BinaryPrimitives.ReadUInt32LittleEndian(page[t.MapcountOffset..]) : uint.MaxValue;

        if (t.CompoundHeadOffset >= 0 && (ReadWord(page, t.CompoundHeadOffset) & CompoundTailBit) != 0)
            return PageVerdict.KeepOne; // tail: its head decided for the whole compound page

        bool slab = t.Slab.Matches(flags, mapcount);

        if ((level & DumpLevel.Free) != 0 && !slab)
        {
            if (t.Buddy.Matches(flags, mapcount))
            {
                ulong buddyOrder = ReadWord(page, t.PrivateOffset);
                if (buddyOrder >= (ulong)t.FreeAreaOrders)
                {
                    if (InvalidBuddyOrders++ == 0)
                    {
                        FirstInvalidBuddyPfn = pfn;
                        FirstInvalidBuddyOrder = buddyOrder;
                    }
                    return PageVerdict.KeepOne;
                }
                return new(PageClass.Free, 1UL << (int)buddyOrder);
            }
            if (t.Unaccepted.Matches(flags, mapcount))
                return new(PageClass.Free, 1UL << (t.FreeAreaOrders - 1));
        }

        bool head = t.HeadMask != 0 && (flags & t.HeadMask) != 0;
        int order = 0;
        bool hugetlb = false;
        if (head && next.Length >= t.PageStructSize)
        {
            order = ReadOrder(next);
            hugetlb = IsHugetlbHead(flags, mapcount, next);
            if (order >= 64 || (pfn & ((1UL << order) - 1)) != 0)
                order = 0;
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

    /// <summary>True when the page is page cache: on an LRU list, or in the swap cache (PG_swapcache only counts with PG_swapbacked).</summary>
    private bool IsCache(ulong flags)
    {
        var t = traits;
        if (Bit(flags, t.PgLru))
            return true;
        return Bit(flags, t.PgSwapCache) && (t.PgSwapBacked < 0 || Bit(flags, t.PgSwapBacked));
    }

    /// <summary>True when the page_type word holds a kernel page type in the 6.12+ encoding (slab, table, zsmalloc...).</summary>
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
    private static ulong ReadWord(ReadOnlySpan<byte> page, int offset) =>
        offset >= 0 ? BinaryPrimitives.ReadUInt64LittleEndian(page[offset..]) : 0;

    /// <summary>Tests a flags bit; unknown bits (-1) are never set.</summary>
    private static bool Bit(ulong flags, int bit) => bit is >= 0 and < 64 && (flags & (1UL << bit)) != 0;
}
