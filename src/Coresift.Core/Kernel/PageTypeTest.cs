using System.Runtime.CompilerServices;

namespace Coresift.Kernel;

/// <summary>How one page type (buddy, slab, offline, hugetlb, unaccepted) is recognised, per kernel generation.</summary>
public readonly record struct PageTypeTest(PageTypeEncoding Encoding, uint Value, int FlagBit = -1)
{
    /// <summary>A test that never matches (the kernel exports nothing for this type).</summary>
    public static PageTypeTest None => new(PageTypeEncoding.None, 0);

    /// <summary>True when this test can match at all.</summary>
    public bool IsKnown => Encoding != PageTypeEncoding.None;

    /// <summary>Chooses the encoding from the form of an exported NUMBER(PAGE_*_MAPCOUNT_VALUE).</summary>
    public static PageTypeTest FromMapcountValue(long exported)
    {
        uint v = unchecked((uint)exported);
        // 6.12+: the type sits in the top byte (PGTY_* << 24); the low 24 bits may carry data.
        if ((v & 0x00ffffff) == 0 && (v >> 24) >= 0xf0)
            return new(PageTypeEncoding.TopByte, v >> 24);
        // 4.18-6.11: the word starts at -1 and each type clears one bit above 0x7f (PAGE_TYPE_BASE in the top nibble).
        uint cleared = ~v;
        if (cleared >= 0x80 && (cleared & (cleared - 1)) == 0 && (v & 0xf0000000) == 0xf0000000)
            return new(PageTypeEncoding.ClearedBit, cleared);
        // 2.6.38-4.17: one exact value (-2, then -128).
        return new(PageTypeEncoding.Equals, v);
    }

    /// <summary>A page-flags bit test (PG_buddy before 2.6.38, PG_slab before 6.10).</summary>
    public static PageTypeTest FromFlagBit(long bit) => new(PageTypeEncoding.FlagBit, 0, bit is >= 0 and < 64 ? (int)bit : -1); // -1: never set

    /// <summary>Applies the test to a struct page's flags and its _mapcount/page_type word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(ulong flags, uint mapcountWord) => Encoding switch
    {
        PageTypeEncoding.TopByte => (mapcountWord >> 24) == Value,
        PageTypeEncoding.ClearedBit => (mapcountWord & (0xf0000000u | Value)) == 0xf0000000u,
        PageTypeEncoding.Equals => mapcountWord == Value,
        PageTypeEncoding.FlagBit => FlagBit is >= 0 and < 64 && (flags & (1UL << FlagBit)) != 0,
        _ => false,
    };
}

/// <summary>The ways kernels have marked page types over time.</summary>
public enum PageTypeEncoding
{
    /// <summary>Not exported: never matches.</summary>
    None,
    /// <summary>A bit in page->flags.</summary>
    FlagBit,
    /// <summary>_mapcount equals one value.</summary>
    Equals,
    /// <summary>page_type starts at all ones and a type clears its bit (4.18-6.11).</summary>
    ClearedBit,
    /// <summary>page_type's top byte is the type number (6.12+).</summary>
    TopByte,
}
