using Coresift.Common;

namespace Coresift.Kernel;

/// <summary>Where a compound page keeps its order, by kernel generation.</summary>
public enum CompoundOrderSource
{
    /// <summary>Unknown: compound pages are treated as order 0.</summary>
    None,
    /// <summary>&lt; 4.4: low 16 bits of page[1].lru.prev.</summary>
    LruPrev,
    /// <summary>4.4-4.15: u16 at OFFSET(page.compound_order) of page[1].</summary>
    PageField16,
    /// <summary>4.16-6.2: u8 at OFFSET(page.compound_order) of page[1]; 6.3-6.5: u8 at OFFSET(folio._folio_order) - SIZE(page).</summary>
    PageField8,
    /// <summary>6.6+: low byte of page[1].flags (folio._flags_1).</summary>
    TailFlagsLowByte,
}

/// <summary>How a hugetlb head is recognised, by kernel generation.</summary>
public enum HugetlbSource
{
    /// <summary>Unknown: no page is taken for hugetlb.</summary>
    None,
    /// <summary>&lt; 4.4: page[1].lru.next holds the address of free_huge_page.</summary>
    LruNextDestructor,
    /// <summary>4.4-4.15: u16 destructor id in page[1] equals HUGETLB_PAGE_DTOR.</summary>
    Dtor16,
    /// <summary>4.16-6.5: u8 destructor id in page[1] equals HUGETLB_PAGE_DTOR.</summary>
    Dtor8,
    /// <summary>6.6-6.8: bit NUMBER(PG_hugetlb) in page[1].flags.</summary>
    TailFlagBit,
    /// <summary>6.9+: the head's page_type is hugetlb.</summary>
    HeadPageType,
}

/// <summary>
/// Every kernel-generation difference coresift knows, decided once from what VMCOREINFO exports (never from version strings).
/// A new kernel generation is a new case here, a fixture and a test; nothing else changes.
/// </summary>
/// <remarks>
/// | what | how it is chosen |
/// |---|---|
/// | buddy | NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE): -2 / -128 exact (2.6.38-4.17), ~bit (4.18-6.11), type byte 0xf0 (6.12+); else NUMBER(PG_buddy) flag (2.6.17-2.6.37) |
/// | slab | NUMBER(PAGE_SLAB_MAPCOUNT_VALUE) (6.10+), else NUMBER(PG_slab) |
/// | offline, unaccepted | NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE) (5.0+), NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE) (6.16+) |
/// | compound order | OFFSET(page.compound_order) (u16 if the dtor sits 2 bytes before, else u8), OFFSET(folio._folio_order) (6.3-6.5), page[1].flags low byte when only compound_head is exported (6.6+), lru.prev before 4.4 |
/// | hugetlb | NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE) (6.9+), NUMBER(PG_hugetlb) (6.6-6.8), folio/page dtor ids (4.4-6.5), free_huge_page (&lt; 4.4) |
/// | tail pages | bit 0 of OFFSET(page.compound_head) (4.4+), renamed page.compound_info in 7.1 |
/// </remarks>
public sealed class KernelTraits
{
    /// <summary>SIZE(page).</summary>
    public int PageStructSize { get; init; }

    /// <summary>OFFSET(page.flags).</summary>
    public int FlagsOffset { get; init; }

    /// <summary>OFFSET(page.mapping), or -1.</summary>
    public int MappingOffset { get; init; } = -1;

    /// <summary>OFFSET(page._mapcount) (the page_type word), or -1.</summary>
    public int MapcountOffset { get; init; } = -1;

    /// <summary>OFFSET(page.private), or -1.</summary>
    public int PrivateOffset { get; init; } = -1;

    /// <summary>OFFSET(page.compound_head) / page.compound_info, or -1.</summary>
    public int CompoundHeadOffset { get; init; } = -1;

    /// <summary>OFFSET(page.lru), or -1.</summary>
    public int LruOffset { get; init; } = -1;

    /// <summary>PG_lru bit, or -1.</summary>
    public int PgLru { get; init; } = -1;

    /// <summary>PG_private bit, or -1.</summary>
    public int PgPrivate { get; init; } = -1;

    /// <summary>PG_swapcache bit, or -1.</summary>
    public int PgSwapCache { get; init; } = -1;

    /// <summary>PG_swapbacked bit, or -1.</summary>
    public int PgSwapBacked { get; init; } = -1;

    /// <summary>PG_hwpoison bit, or -1 (not built with MEMORY_FAILURE).</summary>
    public int PgHwpoison { get; init; } = -1;

    /// <summary>PG_head_mask, or 0.</summary>
    public ulong HeadMask { get; init; }

    /// <summary>The buddy (free page) test.</summary>
    public PageTypeTest Buddy { get; init; }

    /// <summary>The slab test.</summary>
    public PageTypeTest Slab { get; init; }

    /// <summary>The logically-offline test.</summary>
    public PageTypeTest Offline { get; init; }

    /// <summary>The unaccepted-memory test.</summary>
    public PageTypeTest Unaccepted { get; init; }

    /// <summary>The hugetlb head test when it lives in the head's page_type (6.9+).</summary>
    public PageTypeTest HugetlbType { get; init; }

    /// <summary>Where the compound order is read.</summary>
    public CompoundOrderSource OrderSource { get; init; }

    /// <summary>Offset of the order field inside page[1] (PageField8/16).</summary>
    public int OrderOffset { get; init; } = -1;

    /// <summary>How hugetlb heads are recognised.</summary>
    public HugetlbSource HugetlbSource { get; init; }

    /// <summary>Offset of the destructor id inside page[1] (Dtor8/16).</summary>
    public int DtorOffset { get; init; } = -1;

    /// <summary>NUMBER(HUGETLB_PAGE_DTOR), or the free_huge_page address for LruNextDestructor.</summary>
    public ulong HugetlbDtorValue { get; init; }

    /// <summary>NUMBER(PG_hugetlb) for TailFlagBit.</summary>
    public int PgHugetlb { get; init; } = -1;

    /// <summary>LENGTH(zone.free_area) = NR_PAGE_ORDERS (MAX_ORDER+1); orders at or above it are corrupt.</summary>
    public int FreeAreaOrders { get; init; } = 11;

    /// <summary>True when the mem_map fields needed for page-struct filtering are known.</summary>
    public bool CanScanPages => PageStructSize > 0 && MappingOffset >= 0;

    /// <summary>A one-line description of the decisions, for debug output.</summary>
    public string Describe() =>
        $"buddy={Buddy.Encoding}:{Buddy.Value:x} slab={Slab.Encoding} offline={Offline.Encoding} unaccepted={Unaccepted.Encoding} order={OrderSource}@{OrderOffset} hugetlb={HugetlbSource}";

    /// <summary>Decides every generation-dependent rule from VMCOREINFO.</summary>
    public static KernelTraits FromVmcoreInfo(VmcoreInfo info)
    {
        long sizeOfPage = info.Size("page") ?? 0;
        ThrowHelper.Check(sizeOfPage is >= 0 and <= 4096, $"SIZE(page)={sizeOfPage} is not plausible");
        int pageSize = (int)sizeOfPage;
        int limit = pageSize == 0 ? 4096 : pageSize;
        // A field the classifier reads must lie inside the struct page: a corrupt offset is an error, not an out-of-range read.
        int Inside(string key, long offset, int width)
        {
            ThrowHelper.Check(offset <= limit - width, $"VMCOREINFO {key}={offset} puts a {width}-byte field outside SIZE(page)={limit}");
            return (int)offset;
        }
        int Field(string n, int width) => info.Offset(n) is long v and >= 0 ? Inside($"OFFSET({n})", v, width) : -1;
        int Off(string n) => Field(n, n == "page._mapcount" ? 4 : n == "page.lru" ? 16 : 8);
        int Bit(string n) => (int)Math.Clamp(info.Number(n) ?? -1, -1, 63);

        PageTypeTest FromMapcount(string key) => info.Number(key) is long v ? PageTypeTest.FromMapcountValue(v) : PageTypeTest.None;

        var buddy = FromMapcount("PAGE_BUDDY_MAPCOUNT_VALUE");
        if (!buddy.IsKnown && info.Number("PG_buddy") is long pgBuddy)
            buddy = PageTypeTest.FromFlagBit(pgBuddy);
        var slab = FromMapcount("PAGE_SLAB_MAPCOUNT_VALUE");
        if (!slab.IsKnown && info.Number("PG_slab") is long pgSlab)
            slab = PageTypeTest.FromFlagBit(pgSlab);

        // Compound order: where page[1] keeps it.
        var orderSource = CompoundOrderSource.None;
        int orderOffset = -1;
        long? compoundOrder = info.Offset("page.compound_order");
        long? compoundDtor = info.Offset("page.compound_dtor");
        long? folioOrder = info.Offset("folio._folio_order");
        long? folioDtor = info.Offset("folio._folio_dtor");
        int compoundHead = Off("page.compound_head");
        if (compoundHead < 0)
            compoundHead = Off("page.compound_info");
        if (compoundOrder is long co && co >= 0)
        {
            bool wide = compoundDtor is long cd && co - cd == 2;
            orderSource = wide ? CompoundOrderSource.PageField16 : CompoundOrderSource.PageField8;
            orderOffset = Inside("OFFSET(page.compound_order)", co, wide ? 2 : 1);
        }
        else if (folioOrder is long fo && pageSize > 0 && fo >= pageSize)
        {
            orderSource = CompoundOrderSource.PageField8;
            orderOffset = Inside("OFFSET(folio._folio_order) - SIZE(page)", fo - pageSize, 1);
        }
        else if (compoundHead >= 0)
        {
            orderSource = CompoundOrderSource.TailFlagsLowByte;
        }
        else if (Off("page.lru") >= 0)
        {
            orderSource = CompoundOrderSource.LruPrev;
        }

        // Hugetlb heads.
        var hugetlbSource = HugetlbSource.None;
        var hugetlbType = FromMapcount("PAGE_HUGETLB_MAPCOUNT_VALUE");
        int dtorOffset = -1;
        ulong dtorValue = 0;
        int pgHugetlb = -1;
        if (hugetlbType.IsKnown)
            hugetlbSource = HugetlbSource.HeadPageType;
        else if (info.Number("PG_hugetlb") is long ph)
        {
            hugetlbSource = HugetlbSource.TailFlagBit;
            pgHugetlb = (int)Math.Clamp(ph, 0, 63);
        }
        else if (info.Number("HUGETLB_PAGE_DTOR") is long dtor)
        {
            dtorValue = unchecked((ulong)dtor);
            if (compoundDtor is long cd && cd >= 0)
            {
                hugetlbSource = compoundOrder is long co2 && co2 - cd == 2 ? HugetlbSource.Dtor16 : HugetlbSource.Dtor8;
                dtorOffset = Inside("OFFSET(page.compound_dtor)", cd, hugetlbSource == HugetlbSource.Dtor16 ? 2 : 1);
            }
            else if (folioDtor is long fd && pageSize > 0 && fd >= pageSize)
            {
                dtorOffset = Inside("OFFSET(folio._folio_dtor) - SIZE(page)", fd - pageSize, 1);
                hugetlbSource = HugetlbSource.Dtor8;
            }
        }
        else if (info.Symbol("free_huge_page") is ulong fhp && Off("page.lru") >= 0)
        {
            hugetlbSource = HugetlbSource.LruNextDestructor;
            dtorValue = fhp;
        }

        return new KernelTraits
        {
            PageStructSize = pageSize,
            FlagsOffset = Math.Max(Off("page.flags"), 0),
            MappingOffset = Off("page.mapping"),
            MapcountOffset = Off("page._mapcount"),
            PrivateOffset = Off("page.private"),
            CompoundHeadOffset = compoundHead,
            LruOffset = Off("page.lru"),
            PgLru = Bit("PG_lru"),
            PgPrivate = Bit("PG_private"),
            PgSwapCache = Bit("PG_swapcache"),
            PgSwapBacked = Bit("PG_swapbacked"),
            PgHwpoison = Bit("PG_hwpoison"),
            HeadMask = unchecked((ulong)(info.Number("PG_head_mask") ?? 0)),
            Buddy = buddy,
            Slab = slab,
            Offline = FromMapcount("PAGE_OFFLINE_MAPCOUNT_VALUE"),
            Unaccepted = FromMapcount("PAGE_UNACCEPTED_MAPCOUNT_VALUE"),
            HugetlbType = hugetlbType,
            OrderSource = orderSource,
            OrderOffset = orderOffset,
            HugetlbSource = hugetlbSource,
            DtorOffset = dtorOffset,
            HugetlbDtorValue = dtorValue,
            PgHugetlb = pgHugetlb,
            FreeAreaOrders = (int)Math.Clamp(info.Length("zone.free_area") ?? 11, 1, 64),
        };
    }
}
