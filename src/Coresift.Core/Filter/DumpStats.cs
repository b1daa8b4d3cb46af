using System.Text;
using Coresift.Kernel;

namespace Coresift.Filter;

/// <summary>The category counters of one dump, printed as makedumpfile's report block.</summary>
public sealed class DumpStats
{
    /// <summary>max_mapnr: every pfn up to the highest backed address.</summary>
    public ulong TotalPages { get; set; }

    /// <summary>Pages inside PT_LOADs, counted per segment (overlapping segments count twice, as makedumpfile does).</summary>
    public ulong OriginalPages { get; set; }

    /// <summary>All-zero pages among those the other rules kept (dump-level bit 1).</summary>
    public ulong Zero { get; set; }

    /// <summary>Non-private page cache excluded.</summary>
    public ulong NonPrivateCache { get; set; }

    /// <summary>Private page cache excluded.</summary>
    public ulong PrivateCache { get; set; }

    /// <summary>User process data excluded.</summary>
    public ulong User { get; set; }

    /// <summary>Free pages excluded.</summary>
    public ulong Free { get; set; }

    /// <summary>Hardware-poisoned pages excluded.</summary>
    public ulong Hwpoison { get; set; }

    /// <summary>Logically offline pages excluded.</summary>
    public ulong Offline { get; set; }

    /// <summary>-E: pages really left out of the ELF file (excluded runs of 256 pages or more, and tails), or null.</summary>
    public ulong? ExcludedInElf { get; set; }

    /// <summary>Bytes written to the output (0 with --dry-run and no layout).</summary>
    public ulong WriteBytes { get; set; }

    /// <summary>Page structs read during the scan (for the reads-per-page figure).</summary>
    public ulong PageStructsRead { get; set; }

    /// <summary>Pages that were not readable from the input and so were dropped.</summary>
    public ulong UnreadablePages { get; set; }

    /// <summary>All excluded pages.</summary>
    public ulong Excluded => Zero + NonPrivateCache + PrivateCache + User + Free + Hwpoison + Offline;

    /// <summary>Pages that stay in the dump.</summary>
    public ulong Remaining => OriginalPages - Excluded;

    /// <summary>Pages in no PT_LOAD.</summary>
    public ulong MemoryHole => TotalPages - OriginalPages;

    /// <summary>Adds n pages to a category's counter.</summary>
    public void Add(PageClass c, ulong n)
    {
        switch (c)
        {
            case PageClass.NonPrivateCache: NonPrivateCache += n; break;
            case PageClass.PrivateCache: PrivateCache += n; break;
            case PageClass.User: User += n; break;
            case PageClass.Free: Free += n; break;
            case PageClass.Hwpoison: Hwpoison += n; break;
            case PageClass.Offline: Offline += n; break;
        }
    }

    /// <summary>Adds another scan's category counters and page-struct reads (a scan split into parts).</summary>
    public void AddScanCounts(DumpStats part)
    {
        NonPrivateCache += part.NonPrivateCache;
        PrivateCache += part.PrivateCache;
        User += part.User;
        Free += part.Free;
        Hwpoison += part.Hwpoison;
        Offline += part.Offline;
        PageStructsRead += part.PageStructsRead;
    }

    /// <summary>makedumpfile's report block (message-level bit 16), byte for byte in labels, order and number format.</summary>
    public string FormatReport()
    {
        var sb = new StringBuilder();
        static string H(ulong v) => "0x" + v.ToString("x16");
        sb.Append('\n');
        sb.Append("Original pages  : ").Append(H(OriginalPages)).Append('\n');
        sb.Append("  Excluded pages   : ").Append(H(Excluded)).Append('\n');
        if (ExcludedInElf is ulong elfExcluded)
            sb.Append("     in ELF format : ").Append(H(elfExcluded)).Append('\n');
        sb.Append("    Pages filled with zero  : ").Append(H(Zero)).Append('\n');
        sb.Append("    Non-private cache pages : ").Append(H(NonPrivateCache)).Append('\n');
        sb.Append("    Private cache pages     : ").Append(H(PrivateCache)).Append('\n');
        sb.Append("    User process data pages : ").Append(H(User)).Append('\n');
        sb.Append("    Free pages              : ").Append(H(Free)).Append('\n');
        sb.Append("    Hwpoison pages          : ").Append(H(Hwpoison)).Append('\n');
        sb.Append("    Offline pages           : ").Append(H(Offline)).Append('\n');
        sb.Append("  Remaining pages  : ").Append(H(Remaining)).Append('\n');
        if (ExcludedInElf is ulong elfExcluded2)
            sb.Append("     in ELF format : ").Append(H(OriginalPages > elfExcluded2 ? OriginalPages - elfExcluded2 : 0)).Append('\n');
        ulong percent = OriginalPages == 0 ? 0 : Remaining * 100 / OriginalPages;
        sb.Append("  (The number of pages is reduced to ").Append(percent).Append("%.)\n");
        sb.Append("Memory Hole     : ").Append(H(MemoryHole)).Append('\n');
        sb.Append("--------------------------------------------------\n");
        sb.Append("Total pages     : ").Append(H(TotalPages)).Append('\n');
        sb.Append("Write bytes     : ").Append(WriteBytes).Append('\n');
        sb.Append('\n');
        return sb.ToString();
    }
}
