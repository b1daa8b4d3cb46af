using Coresift.Common;
using Coresift.Kernel.Dmesg;

namespace Coresift.Kernel;

/// <summary>
/// The physical pages a reader needs before any other page makes sense: the kernel page tables, the pages of every
/// VMCOREINFO symbol, mem_section, utsname, the printk log, and the struct pages (mem_map). A dump that writes them
/// first can be refiltered, opened and its log read even when it is cut short.
/// </summary>
public static class CriticalPages
{
    private const int PageShift = 12;

    /// <summary>Sorted, disjoint pfn ranges [Start, End) below kernel.MaxMapnr; empty without an address space.</summary>
    public static IReadOnlyList<(ulong Start, ulong End)> Find(KernelModel kernel, Limits limits)
    {
        if (kernel.AddressSpace is not { } space || kernel.Info is not { } info)
            return [];
        var pfns = new HashSet<ulong>();
        var ranges = new List<(ulong Start, ulong End)>();
        space.RecordedPfns = pfns;
        try
        {
            ReadSymbolPages(info, space);
            _ = MemMap.Build(info, space, space.KernelSpaceStart, kernel.PageShift, kernel.MaxMapnr, limits);
            _ = KernelIdentity.ReadUtsname(kernel);
            try
            {
                KernelLog.Write(info, space, partial: false, Stream.Null);
            }
            catch (CoresiftException)
            {
                // No readable log: nothing more to put first.
            }
        }
        catch (CoresiftException)
        {
            // Whatever was read before the failure is still worth putting first.
        }
        finally
        {
            space.RecordedPfns = null;
        }
        AddStructPages(kernel, space, ranges);
        foreach (ulong pfn in pfns)
            ranges.Add((pfn, pfn + 1));
        return Merge(ranges, kernel.MaxMapnr);
    }

    /// <summary>Reads the first bytes at every SYMBOL() of VMCOREINFO, so that their pages (and page tables) are recorded.</summary>
    private static void ReadSymbolPages(VmcoreInfo info, X86_64AddressSpace space)
    {
        Span<byte> probe = stackalloc byte[8];
        foreach (var line in info.Text.Split('\n'))
        {
            if (!line.StartsWith("SYMBOL(", StringComparison.Ordinal))
                continue;
            int close = line.IndexOf(')', StringComparison.Ordinal);
            if (close < 0 || info.Symbol(line[7..close]) is not ulong address)
                continue;
            _ = space.TryRead(address, probe);
        }
    }

    /// <summary>Adds the physical ranges behind every mem_map range, translating one mapping at a time.</summary>
    private static void AddStructPages(KernelModel kernel, X86_64AddressSpace space, List<(ulong Start, ulong End)> ranges)
    {
        if (kernel.MemMap is not { } memMap || kernel.Traits is not { } traits)
            return;
        ulong size = (ulong)traits.PageStructSize;
        var tables = new HashSet<ulong>();
        space.RecordedPfns = tables;
        try
        {
            foreach (var r in memMap.Ranges)
            {
                ulong v = r.MemMapAddress, end = r.MemMapAddress + (r.EndPfn - r.StartPfn) * size;
                while (v < end)
                {
                    if (!space.TryTranslate(v, out ulong paddr, out ulong mapping) || mapping == 0)
                    {
                        v = (v | 0xfff) + 1; // unmapped: try the next page
                        continue;
                    }
                    ulong left = Math.Min(mapping - (v & (mapping - 1)), end - v);
                    ranges.Add((paddr >> PageShift, (paddr + left + 0xfff) >> PageShift));
                    v += left;
                }
            }
        }
        finally
        {
            space.RecordedPfns = null;
        }
        foreach (ulong pfn in tables)
            ranges.Add((pfn, pfn + 1));
    }

    /// <summary>Sorts ranges, joins those that touch, and cuts them at maxMapnr.</summary>
    private static List<(ulong Start, ulong End)> Merge(List<(ulong Start, ulong End)> ranges, ulong maxMapnr)
    {
        ranges.Sort();
        var merged = new List<(ulong Start, ulong End)>();
        foreach (var (s, e0) in ranges)
        {
            ulong e = Math.Min(e0, maxMapnr);
            if (s >= e)
                continue;
            if (merged.Count > 0 && s <= merged[^1].End)
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, e));
            else
                merged.Add((s, e));
        }
        return merged;
    }
}
