namespace Coresift.Output;

/// <summary>How --split shares pfns among the output files: whole split blocks, until each file holds its share of dumpable pages.</summary>
public static class SplitPlan
{
    /// <summary>The default split block: 1 GiB of pfns.</summary>
    public const long DefaultBlockBytes = 1L << 30;

    /// <summary>[start, end) pfn ranges, one per file; they cover [0, maxMapnr) and the last ends at maxMapnr.</summary>
    /// <param name="countIn">The dumpable pages in [start, end); called with ascending, adjacent ranges.</param>
    /// <param name="total">The dumpable pages in all.</param>
    public static IReadOnlyList<(ulong Start, ulong End)> Ranges(Func<ulong, ulong, ulong> countIn, ulong total, ulong maxMapnr, int files, ulong blockPfns)
    {
        if (files < 1 || blockPfns == 0)
            throw new ArgumentOutOfRangeException(nameof(files));
        ulong share = total / (ulong)files;
        var ranges = new List<(ulong, ulong)>(files);
        ulong start = 0;
        for (int i = 0; i < files - 1; i++)
        {
            ulong end = start, count = 0;
            while (end < maxMapnr && count < share)
            {
                ulong next = Math.Min(end + blockPfns, maxMapnr);
                count += countIn(end, next);
                end = next;
            }
            ranges.Add((start, end));
            start = end;
        }
        ranges.Add((start, maxMapnr));
        return ranges;
    }
}
