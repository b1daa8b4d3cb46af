using System.Numerics;
using Coresift.Filter;

namespace Coresift.Output;

/// <summary>How --split shares pfns among the output files: whole split blocks, until each file holds its share of dumpable pages.</summary>
public static class SplitPlan
{
    /// <summary>The default split block: 1 GiB of pfns.</summary>
    public const long DefaultBlockBytes = 1L << 30;

    /// <summary>[start, end) pfn ranges, one per file; they cover [0, maxMapnr) and the last ends at maxMapnr.</summary>
    public static IReadOnlyList<(ulong Start, ulong End)> Ranges(Bitmap dumpable, ulong maxMapnr, int files, ulong blockPfns)
    {
        if (files < 1 || blockPfns == 0)
            throw new ArgumentOutOfRangeException(nameof(files));
        ulong total = dumpable.PopCount();
        ulong share = total / (ulong)files;
        var ranges = new List<(ulong, ulong)>(files);
        ulong start = 0;
        for (int i = 0; i < files - 1; i++)
        {
            ulong end = start, count = 0;
            while (end < maxMapnr && count < share)
            {
                ulong next = Math.Min(end + blockPfns, maxMapnr);
                count += CountSet(dumpable, end, next);
                end = next;
            }
            ranges.Add((start, end));
            start = end;
        }
        ranges.Add((start, maxMapnr));
        return ranges;
    }

    /// <summary>Set bits in [start, end).</summary>
    private static ulong CountSet(Bitmap b, ulong start, ulong end)
    {
        ulong n = 0;
        ReadOnlySpan<ulong> words = b.Words;
        for (ulong p = start; p < end;)
        {
            if ((p & 63) == 0 && p + 64 <= end)
            {
                n += (ulong)BitOperations.PopCount(words[(int)(p >> 6)]);
                p += 64;
            }
            else
            {
                if (b.Test(p)) n++;
                p++;
            }
        }
        return n;
    }
}
