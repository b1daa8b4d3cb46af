namespace Coresift.Filter;

/// <summary>How the pfn range is cut into cycles: each cycle's bitmaps must fit the budget.</summary>
public readonly record struct CyclePlan(ulong MaxMapnr, ulong CyclePfns)
{
    /// <summary>Cycle starts are multiples of this many pfns, so bitmap slices begin on whole 64-bit words.</summary>
    public const ulong Alignment = 64 * 8;

    /// <summary>The number of cycles.</summary>
    public ulong Count => MaxMapnr == 0 ? 0 : (MaxMapnr + CyclePfns - 1) / CyclePfns;

    /// <summary>The cycle that holds pfn.</summary>
    public ulong IndexOf(ulong pfn) => pfn / CyclePfns;

    /// <summary>The pfns [Start, End) of cycle index.</summary>
    public (ulong Start, ulong End) Cycle(ulong index) => (index * CyclePfns, Math.Min((index + 1) * CyclePfns, MaxMapnr));

    /// <summary>Plans cycles so that one cycle's two bitmaps (2 bits per pfn) fit the budget; one cycle when everything fits.</summary>
    public static CyclePlan For(ulong maxMapnr, MemoryBudget budget)
    {
        ulong pfnsThatFit = (ulong)Math.Max(budget.Bytes, 1) * 8 / 2;
        ulong cycle = Math.Max(Alignment, pfnsThatFit / Alignment * Alignment);
        if (cycle >= maxMapnr)
            cycle = Math.Max(Alignment, (maxMapnr + Alignment - 1) / Alignment * Alignment);
        return new CyclePlan(maxMapnr, cycle);
    }
}
