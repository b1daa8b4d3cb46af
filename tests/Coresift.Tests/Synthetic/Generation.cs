namespace Coresift.Tests.Synthetic;

/// <summary>Kernel generations the synthetic builder can imitate (their VMCOREINFO and struct page encodings).</summary>
public enum Generation
{
    /// <summary>4.4-4.15: buddy _mapcount == -128, u16 compound order/dtor, PG_slab flag.</summary>
    Linux4_14,
    /// <summary>4.18-6.2: page types clear a bit, u8 compound order/dtor, PG_slab flag.</summary>
    Linux6_1,
    /// <summary>6.12+: page type in the top byte, order in page[1].flags, no compound_order export.</summary>
    Linux6_12,
}
