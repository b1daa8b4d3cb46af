using System.Diagnostics;
using Coresift.App.Cli;
using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;

namespace Coresift.App.Commands;

/// <summary>VMCORE DUMPFILE: classify every page at the dump level and write (or, with --dry-run, only count) the dump.</summary>
public sealed class DumpCommand(DumpOptions options, MessageSink sink)
{
    /// <summary>Runs the dump; returns the exit code.</summary>
    public int Run()
    {
        if (options.Positionals.Count < 2)
            throw new CoresiftException("VMCORE and DUMPFILE must be given");
        string vmcore = options.Positionals[0];
        string dumpfile = options.Positionals[1];
        if (!options.DryRun)
            throw new CoresiftException("writing dump files is not supported yet; use --dry-run to classify pages");
        // Options whose work is not built yet fail instead of being ignored.
        if (options.ElfOutput)
            throw new CoresiftException("option '-E' is not supported yet");
        if (options.NumThreads is not null)
            throw new CoresiftException("option '--num-threads' is not supported yet");
        if (options.CyclicBufferKiB is not null)
            throw new CoresiftException("option '--cyclic-buffer' is not supported yet");
        // -c/-l/-p/-z, -b, -L and -f only concern the bytes written; a dry run writes none, as with makedumpfile.

        var level = (DumpLevel)options.DumpLevels[0];
        var limits = Limits.Default;
        var clock = Stopwatch.StartNew();
        using var input = DumpInput.Open(vmcore, limits, options.NonMmap);
        var kernel = KernelModel.Build(input, limits, DumpFilter.NeedsPageStructs(level));
        DescribeInput(input, kernel);

        var filter = new DumpFilter(kernel, level);
        filter.Run(countZeroPages: true);
        ReportWarnings(filter);
        if (sink.Enabled(MessageSink.Report))
        {
            sink.ReportText($"STEP [Excluding unnecessary pages] : {clock.Elapsed.TotalSeconds:F6} seconds\n");
            sink.ReportText(filter.Stats.FormatReport());
        }
        if (sink.Enabled(MessageSink.Debug))
        {
            double perPage = filter.Stats.OriginalPages == 0 ? 0 : (double)filter.Stats.PageStructsRead / (filter.Dumpable!.PopCount() + filter.Stats.Excluded - filter.Stats.Zero);
            sink.DebugLine($"page structs read: {filter.Stats.PageStructsRead} ({perPage:F2} per page examined); cycles: 1");
            if (kernel.Info is { } info && kernel.AddressSpace is { } space && ZoneCounters.FreePages(info, space) is long kernelFree)
                sink.DebugLine($"free pages   : {filter.Stats.Free} found in page structs; the kernel's zone counters say {kernelFree}");
        }
        sink.Info($"Dry run: nothing was written to {dumpfile}.");
        return 0;
    }

    /// <summary>Debug lines about the input and the kernel model (message level 8).</summary>
    private void DescribeInput(DumpInput input, KernelModel kernel)
    {
        if (kernel.Warning is { } w)
            sink.Warning($"WARNING: page structs unavailable ({w}); only holes and zero pages are excluded.");
        if (!sink.Enabled(MessageSink.Debug))
            return;
        sink.DebugLine($"input        : {input.File.Path} (ELF{(input.Elf.Is64Bit ? 64 : 32)}, {(input.File.IsMapped ? "mmap" : "read")}, {input.CpuCount} CPUs)");
        foreach (var l in input.Elf.Loads)
            sink.DebugLine($"LOAD         : paddr {l.PhysicalAddress:x16}-{l.PhysicalAddress + l.MemorySize:x16} vaddr {l.VirtualAddress:x16} filesz {l.FileSize:x}");
        sink.DebugLine($"OSRELEASE    : {kernel.Info?.OsRelease ?? "(no VMCOREINFO)"}");
        sink.DebugLine($"page_size    : {kernel.PageSize}");
        sink.DebugLine($"max_mapnr    : {kernel.MaxMapnr:x}");
        if (kernel.AddressSpace is { } a)
            sink.DebugLine($"paging       : {a.Levels}-level, root table {a.RootTable:x}, phys_base {a.PhysBase:x}");
        if (kernel.Layout.PageOffset is ulong po)
            sink.DebugLine($"page_offset  : {po:x} ({kernel.Layout.PageOffsetSource})");
        if (kernel.Layout.VmemmapBase is ulong vm)
            sink.DebugLine($"vmemmap_base : {vm:x}");
        if (kernel.Traits is { } t)
            sink.DebugLine($"kernel traits: {t.Describe()}");
        if (kernel.MemMap is { } m)
        {
            sink.DebugLine($"Memory type  : {m.Model}");
            foreach (var r in m.Ranges)
                sink.DebugLine($"mem_map      : {r.MemMapAddress:x16} pfn {r.StartPfn:x}-{r.EndPfn:x}");
        }
    }

    /// <summary>Warnings about corrupt kernel data that the scan worked around (one per kind, with a count).</summary>
    private void ReportWarnings(DumpFilter filter)
    {
        if (filter.Scanner is not { } s)
            return;
        if (s.Classifier.InvalidBuddyOrders > 0)
            sink.Warning($"WARNING: Invalid free page order: pfn={s.Classifier.FirstInvalidBuddyPfn:x}, order={s.Classifier.FirstInvalidBuddyOrder}, max order={s.Classifier.Traits.FreeAreaOrders - 1} ({s.Classifier.InvalidBuddyOrders} pages kept)");
        if (s.UnreadableStructs > 0)
            sink.Warning($"WARNING: {s.UnreadableStructs} page structs could not be read; those pages were kept.");
    }
}
