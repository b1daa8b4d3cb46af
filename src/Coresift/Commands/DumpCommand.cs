using System.Diagnostics;
using Coresift.App.Cli;
using Coresift.Codecs;
using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Output;

namespace Coresift.App.Commands;

/// <summary>VMCORE DUMPFILE: classify every page at the dump level and write a kdump-compressed file (or only count, with --dry-run).</summary>
/// <param name="interrupt">SIGTERM/SIGINT/SIGHUP: stops the writer, which still finishes the header and bitmaps (null: never).</param>
public sealed class DumpCommand(DumpOptions options, MessageSink sink, Func<Stream> openStdout, DumpInterrupt? interrupt = null)
{
    private readonly ProgressLine _progress = new(sink.ProgressWriter, sink.Enabled(MessageSink.Progress));

    /// <summary>Cancelled by the first signal.</summary>
    private CancellationToken Interrupt => interrupt?.Token ?? CancellationToken.None;

    /// <summary>The one-line message of an interrupted run.</summary>
    private string InterruptedMessage =>
        $"Interrupted by {interrupt?.Reason ?? "a signal"}: the dump was stopped; its header and bitmaps are written and it is marked incomplete.";

    /// <summary>Runs the dump; returns the exit code.</summary>
    public int Run()
    {
        int outputsNeeded = options.Split ? 2 : 1;
        if (options.InputPaths.Count < 1 || (!options.Flatten && options.OutputPaths.Count < outputsNeeded))
            throw new CoresiftException(options.Split ? "VMCORE and at least two DUMPFILEs must be given" : "VMCORE and DUMPFILE must be given");
        string vmcore = options.InputPaths[0];
        IReadOnlyList<string> dumpfiles = options.Flatten ? ["standard output (flattened)"] : options.OutputPaths;

        var limits = Limits.Default;
        // From here the first signal stops the writer (a second one ends the process).
        using var armed = interrupt?.Arm();
        // The outputs are opened first, as makedumpfile does: an existing file fails before any work.
        var outputs = OpenOutputs(dumpfiles, options.Force);
        try
        {
            using var input = DumpInput.Open(vmcore, limits, InputMapping.UsePread(vmcore, options.NonMmap, sink));
            bool needStructs = options.DumpLevels.Any(l => DumpFilter.NeedsPageStructs((DumpLevel)l));
            if (options.ElfOutput && input.Kdump is not null)
                throw new CoresiftException($"'-E' option is disabled, because {vmcore} is kdump compressed format.");
            if (options.ElfOutput && !input.Elf!.Is64Bit)
                throw new CoresiftException($"-E writes ELF64 cores only; {vmcore} is ELF32");
            var kernel = KernelModel.Build(input, limits, needStructs);
            DescribeInput(input, kernel);
            for (int attempt = 0; ; attempt++)
            {
                var level = MergeWithSource(input, vmcore, (DumpLevel)options.DumpLevels[attempt]);
                var (filter, result) = Attempt(input, kernel, level, outputs);
                if (result is null && Interrupt.IsCancellationRequested)
                {
                    sink.ErrorLine($"Interrupted by {interrupt?.Reason ?? "a signal"}.");
                    return 1;
                }
                if (result is { Incomplete: true } r)
                {
                    bool interrupted = Interrupt.IsCancellationRequested;
                    sink.ErrorLine(interrupted ? InterruptedMessage : r.IncompleteReason ?? "the dump is incomplete");
                    // With a -d list, the files are made again at the next level (only real files can be started over).
                    if (!interrupted && attempt + 1 < options.DumpLevels.Count && outputs.All(o => o is FileOutputSink))
                    {
                        foreach (var o in outputs)
                            o?.Dispose();
                        foreach (var f in dumpfiles)
                            File.Delete(f);
                        outputs = OpenOutputs(dumpfiles, force: false);
                        sink.Info($"Retry to create a dumpfile by dump_level({options.DumpLevels[attempt + 1]}).");
                        continue;
                    }
                    sink.Info("This is an incomplete dumpfile, but might analyzable.");
                    return 1;
                }
                DebugSummary(kernel, filter, input.File);
                sink.Info(options.DryRun ? $"Dry run: nothing was written to {string.Join(", ", dumpfiles)}."
                    : dumpfiles.Count == 1 ? $"The dumpfile is saved to {dumpfiles[0]}."
                    : $"The dumpfiles are saved to {string.Join(", ", dumpfiles.Take(dumpfiles.Count - 1))}, and {dumpfiles[^1]}.");
                return 0;
            }
        }
        finally
        {
            foreach (var o in outputs)
                o?.Dispose();
        }
    }

    /// <summary>The sinks for this run: none for --dry-run, stdout for -F, else one file per DUMPFILE.</summary>
    private IOutputSink?[] OpenOutputs(IReadOnlyList<string> dumpfiles, bool force)
    {
        if (options.DryRun)
            return [null];
        if (options.Flatten)
            return [new FlattenedOutputSink(openStdout())];
        var sinks = new IOutputSink?[dumpfiles.Count];
        try
        {
            for (int i = 0; i < sinks.Length; i++)
                sinks[i] = FileOutputSink.Create(dumpfiles[i], force, options.SizeLimit);
            return sinks;
        }
        catch
        {
            foreach (var s in sinks)
                s?.Dispose();
            throw;
        }
    }

    /// <summary>Threads that scan page structs, read and compress pages: --num-threads, else every online CPU (a capture kernel usually has one).</summary>
    private int Threads => Math.Clamp(options.NumThreads is int n && n > 0 ? n : Environment.ProcessorCount, 1, 256);

    /// <summary>Cuts pfns into cycles: from --cyclic-buffer (makedumpfile's per-bitmap buffer) or from the memory there is.</summary>
    private CyclePlan PlanCycles(KernelModel kernel, out long cacheBudget, out long budget)
    {
        var system = MemoryBudget.FromSystem();
        // Under a cgroup limit the runtime bounds its own GC heap (75% of the limit), which can be less than the budget
        // (at a 256 MiB cap with the input cached outside the cgroup: a 230 MiB budget, a 192 MiB heap): plan within it.
        long heapRoom = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - MemoryBudget.RuntimeReserve;
        if (heapRoom < system.Bytes)
            system = system.Less(system.Bytes - heapRoom, "the runtime's GC heap limit");
        // The writer's buffers come out of the same memory as the bitmaps (at a tight cap, forgetting them made the
        // GC heap limit fail now and then: two 8.8 MiB cycle bitmaps filled a 17 MiB budget with 10 MiB of buffers beside).
        int pageSize = kernel.PageSize;
        int maxPacked = CodecFactory()?.Invoke().MaxCompressedLength(pageSize) ?? pageSize;
        long writerBytes = KdumpWriter.PageStream.BufferBytes(pageSize, maxPacked, pageSize << options.BlockOrder, Threads);
        var bitmaps = system.Less(writerBytes, "the writer's buffers");
        // A cycle is sized for two bitmaps, but the write phase holds up to four of its size at once (a 1st-bitmap slice,
        // a decoded cycle, the ranker's or the ELF writer's zero pages, and one not yet collected): with cycles sized
        // for the whole budget, caps of 64-256 MiB failed with "out of memory" whenever the budget was large.
        var sizing = options.CyclicBufferKiB is long kib ? MemoryBudget.FromCyclicBuffer(kib)
            : bitmaps.Less(bitmaps.Bytes / 2, "the write phase's other cycle-sized bitmaps");
        var plan = CyclePlan.For(kernel.MaxMapnr, sizing);
        long cycleBitmaps = (long)(plan.CyclePfns / 2); // four bitmaps of the cycle being worked on
        cacheBudget = Math.Max(0, bitmaps.Bytes - cycleBitmaps);
        sink.DebugLine($"memory budget: {system.Bytes >> 10} KiB ({system.Source})");
        budget = system.Bytes;
        BoundGcHeap(system);
        sink.DebugLine($"cycles       : {plan.Count} of {plan.CyclePfns} pfns ({sizing.Source}); bitmap cache up to {cacheBudget >> 10} KiB");
        return plan;
    }

    /// <summary>
    /// True when the scan may leave the struct pages it read mapped: a compressed whole file writes them again first,
    /// right after the scan, and they take at most an eighth of the memory budget (else each is dropped once read, so
    /// that the resident set stays small on a large machine).
    /// </summary>
    private bool KeepsStructPagesMapped(KernelModel kernel, long budget, bool dryRun)
    {
        if (dryRun || options.Compression == CompressionKind.None || options.Split || options.ElfOutput || kernel.MemMap is not { } map
            || kernel.Traits is not { } traits)
            return false;
        ulong bytes = 0;
        foreach (var r in map.Ranges)
            bytes += (r.EndPfn - r.StartPfn) * (ulong)traits.PageStructSize;
        return bytes <= (ulong)Math.Max(0, budget) / 8;
    }

    /// <summary>
    /// True when kernel metadata goes first: compressed, whole (not --split) files whose every cycle bitmap was kept.
    /// Uncompressed files keep makedumpfile's pfn order, byte for byte.
    /// </summary>
    private static bool WritesCriticalFirst(Func<IPageCodec>? newCodec, (ulong Start, ulong End)? range, DumpFilter filter, CyclePlan plan) =>
        newCodec is not null && range is null && filter.CachedCycles == plan.Count;

    /// <summary>Bounds the GC heap to the budget plus the runtime's reserve, so that the GC collects before the kernel kills us.</summary>
    private void BoundGcHeap(MemoryBudget budget)
    {
        long limit = budget.Bytes + MemoryBudget.RuntimeReserve;
        long current = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (limit >= current)
        {
            sink.DebugLine($"GC heap limit: {current >> 10} KiB (the runtime's own, from the cgroup limit)");
            return;
        }
        AppContext.SetData("GCHeapHardLimit", (ulong)limit);
        try
        {
            GC.RefreshMemoryLimit();
        }
        catch (InvalidOperationException)
        {
            return; // more is committed already than the limit allows: keep the runtime's own bound
        }
        sink.DebugLine($"GC heap limit: {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 10} KiB (the budget plus {MemoryBudget.RuntimeReserve >> 20} MiB)");
    }

    /// <summary>Refiltering cannot bring back what a kdump-compressed source left out: its level is ORed in.</summary>
    private DumpLevel MergeWithSource(DumpInput input, string vmcore, DumpLevel level)
    {
        if (input.Kdump is not { } source || ((int)level | source.DumpLevel) == (int)level)
            return level;
        var merged = level | (DumpLevel)source.DumpLevel;
        sink.Info($"dump_level is changed to {(int)merged}, because {vmcore} was created by dump_level({source.DumpLevel}).");
        return merged;
    }

    /// <summary>Classifies at one level (one scan) and writes every output (unless --dry-run); prints the report.</summary>
    private (DumpFilter Filter, KdumpResult? Result) Attempt(DumpInput input, KernelModel kernel, DumpLevel level, IOutputSink?[] outputs)
    {
        var clock = Stopwatch.StartNew();
        bool dryRun = outputs[0] is null;
        var plan = PlanCycles(kernel, out long cacheBudget, out long budget);
        var filter = new DumpFilter(kernel, level, plan, cacheBudget, Threads) { KeepStructPagesMapped = KeepsStructPagesMapped(kernel, budget, dryRun) };
        _progress.Begin("Excluding unnecessary pages");
        filter.Progress = _progress.Update;
        filter.Run(countZeroPages: dryRun);
        _progress.End(kernel.MaxMapnr);
        var scanTime = clock.Elapsed;
        KdumpResult? result = null;
        if (!dryRun)
        {
            ulong blockPfns = (ulong)((options.SplitBlockSizeKiB ?? SplitPlan.DefaultBlockBytes / 1024) * 1024 / kernel.PageSize);
            IReadOnlyList<(ulong, ulong)> ranges = options.Split
                ? SplitPlan.Ranges(filter.NewCursor().Count, filter.DumpablePages, kernel.MaxMapnr, outputs.Length, Math.Max(blockPfns, 1))
                : [(0UL, ulong.MaxValue)];
            ulong zero = 0, bytes = 0;
            if (options.ElfOutput)
            {
                var elf = new ElfDumpWriter(outputs[0]!, input.Elf!, input.ReadElfIdentity(), input.ReadNoteSegments(), kernel.Physical, kernel.PageSize) { Threads = Threads, Interrupt = Interrupt }
                    .Write(filter, kernel.MaxMapnr, (level & DumpLevel.Zero) != 0);
                (outputs[0] as FlattenedOutputSink)?.Finish();
                filter.Stats.Zero = elf.ZeroPages;
                filter.Stats.ExcludedInElf = elf.ExcludedInElf;
                filter.Stats.WriteBytes = (ulong)elf.Bytes;
                result = new KdumpResult(elf.Bytes, 0, elf.ZeroPages, elf.Incomplete, elf.IncompleteReason);
                ranges = [];
            }
            foreach (var (sinkOut, range) in outputs.Zip(ranges))
            {
                var r = Write(sinkOut!, input, kernel, filter, level, options.Split ? range : null);
                zero += r.ZeroPages;
                bytes += (ulong)r.Bytes;
                result = r;
                if (r.Incomplete)
                    break;
            }
            if (!options.ElfOutput)
            {
                filter.Stats.Zero = zero;
                filter.Stats.WriteBytes = bytes;
            }
        }
        ReportWarnings(kernel, filter);
        if (sink.Enabled(MessageSink.Report))
        {
            sink.ReportText($"STEP [Excluding unnecessary pages] : {scanTime.TotalSeconds:F6} seconds\n");
            if (result is not null)
                sink.ReportText($"STEP [Copying data               ] : {(clock.Elapsed - scanTime).TotalSeconds:F6} seconds\n");
            sink.ReportText(filter.Stats.FormatReport());
        }
        return (filter, result);
    }

    /// <summary>Makes one page codec of the chosen compression per call (one per writer thread); null when uncompressed.</summary>
    private Func<IPageCodec>? CodecFactory() => options.Compression switch
    {
        CompressionKind.Zlib => () => new ZlibPageCodec(),
        CompressionKind.Snappy => () => new SnappyPageCodec(),
        CompressionKind.Zstd => () => new ZstdPageCodec(),
        CompressionKind.Lzo => () => new LzoPageCodec(),
        _ => null,
    };

    /// <summary>Writes one kdump-compressed file, or one --split member covering range.</summary>
    private KdumpResult Write(IOutputSink output, DumpInput input, KernelModel kernel, DumpFilter filter, DumpLevel level, (ulong Start, ulong End)? range)
    {
        Func<IPageCodec>? newCodec = CodecFactory();
        var codec = newCodec?.Invoke();
        byte[] notes = input.ReadNoteSegments();
        var (vmcoreinfoOffset, vmcoreinfoSize) = input.VmcoreinfoInNotes();
        var header = new KdumpHeader
        {
            Utsname = KernelIdentity.ReadUtsname(kernel),
            CrashTime = kernel.Info?.CrashTime ?? 0,
            NrCpus = input.CpuCount,
            MaxMapnr = kernel.MaxMapnr,
            PhysBase = kernel.AddressSpace?.PhysBase ?? kernel.Info?.Number("phys_base") ?? 0,
            DumpLevel = (int)level,
            VmcoreinfoOffsetInNotes = vmcoreinfoOffset,
            VmcoreinfoSize = vmcoreinfoSize,
            Split = range is not null,
            StartPfn = range?.Start ?? 0,
            EndPfn = range?.End ?? 0,
        };
        var writer = new KdumpWriter(output, header, notes, kernel.PageSize, filter.DumpablePages, kernel.PageSize << options.BlockOrder);
        uint status = codec?.DescriptorFlag ?? 0;
        KdumpResult result;
        try
        {
            // Header, 1st bitmap (from the segments), then cycle by cycle: a slice of the 2nd bitmap and its pages.
            writer.WriteHeaders(status);
            var plan = filter.Plan;
            for (ulong i = 0; i < plan.Count; i++)
            {
                var (s, e) = plan.Cycle(i);
                writer.WriteBitmapSlice(second: false, filter.BackedCycle(s, e));
            }
            var pages = writer.BeginPages(kernel.Physical, kernel.PageShift, (level & DumpLevel.Zero) != 0, newCodec, Threads);
            pages.Interrupt = Interrupt;
            ulong toWrite = range is { } r ? filter.NewCursor().Count(r.Start, r.End) : filter.DumpablePages;
            _progress.Begin("Copying data");
            pages.Progress = done => _progress.Update(done, toWrite);
            ulong first = range?.Start ?? 0, last = range?.End ?? ulong.MaxValue;
            bool stoppedEarly = false;
            bool slicesWritten = WritesCriticalFirst(newCodec, range, filter, plan);
            if (slicesWritten)
            {
                // Kernel metadata first (page tables, mem_section, struct pages, log), so that a dump cut short stays
                // readable: every bitmap slice goes out first, since the early descriptors' places depend on them all.
                for (ulong i = 0; i < plan.Count; i++)
                    writer.WriteBitmapSlice(second: true, filter.DumpableCycle(i));
                var critical = CriticalPages.Find(kernel, Limits.Default);
                sink.DebugLine($"written first: {critical.Sum(c => (long)(c.End - c.Start))} pfns in {critical.Count} ranges (kernel page tables, mem_section, struct pages, log)");
                pages.WriteFirst(critical, filter.NewCursor().RankOf);
            }
            for (ulong i = 0; i < plan.Count; i++)
            {
                // Interrupted: no more cycles are scanned (their 2nd-bitmap slices stay zero); the first is always written.
                if (i > 0 && Interrupt.IsCancellationRequested)
                {
                    stoppedEarly = true;
                    break;
                }
                var cycle = filter.DumpableCycle(i);
                if (!slicesWritten)
                    writer.WriteBitmapSlice(second: true, cycle);
                pages.Write(cycle, first, last);
            }
            result = pages.Finish();
            if (stoppedEarly && !result.Incomplete)
                result = result with { Incomplete = true, IncompleteReason = "interrupted" };
            else if (!result.Incomplete && Interrupt.IsCancellationRequested)
                sink.Info($"{interrupt?.Reason ?? "A signal"} came after the last page was written: the dump is complete.");
            _progress.End(result.Incomplete ? Math.Min(result.PagesWritten, toWrite) : toWrite, toWrite);
        }
        catch (OutputFullException e)
        {
            result = new KdumpResult(output.Length, 0, 0, true, e.Message);
        }
        finally
        {
            (codec as IDisposable)?.Dispose();
        }
        try
        {
            if (result.Incomplete)
                writer.RewriteMainHeader(status | KdumpFlags.Incomplete);
            (output as FlattenedOutputSink)?.Finish();
        }
        catch (OutputFullException)
        {
            // The header block was written first; only the flag (or the stream's end marker) could not be added.
        }
        return result;
    }

    /// <summary>Debug lines about the input and the kernel model (message level 8).</summary>
    private void DescribeInput(DumpInput input, KernelModel kernel)
    {
        if (kernel.Warning is { } w)
            sink.Warning($"WARNING: page structs unavailable ({w}); only holes and zero pages are excluded.");
        if (!sink.Enabled(MessageSink.Debug))
            return;
        sink.DebugLine($"input        : {input.File.Path} ({input.FormatName}, {(input.File.IsMapped ? "mmap" : "read")}, {input.CpuCount} CPUs)");
        foreach (var l in input.Loads)
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
                sink.DebugLine($"mem_map      : {r.MemMapAddress:x16} pfn {r.StartPfn:x}-{r.EndPfn:x}"
                    + (kernel.AddressSpace?.TryTranslate(r.MemMapAddress, out ulong p, out ulong size) == true ? $" paddr {p:x} (mapped by {size >> 10} KiB)" : ""));
        }
    }

    /// <summary>Debug lines after the scan: page structs read, and the kernel's own free counter.</summary>
    private void DebugSummary(KernelModel kernel, DumpFilter filter, VmcoreFile? inputFile)
    {
        if (!sink.Enabled(MessageSink.Debug))
            return;
        ulong firstPass = filter.Stats.PageStructsRead - filter.RescanReads;
        double perPage = firstPass == 0 ? 0 : (double)filter.Stats.PageStructsRead / firstPass;
        if (kernel.Physical is ElfPhysicalMemory && inputFile is { IsMapped: true } f)
            sink.DebugLine($"input windows: MADV_POPULATE_READ {(f.PopulatesWindows ? "on" : "off")}, {f.WindowsScanned} windows read page by page after a failed population");
        sink.DebugLine($"page structs : {filter.Stats.PageStructsRead} read, {perPage:F2} reads per page struct; cycles {filter.Plan.Count}, kept {filter.CachedCycles}, scanned again {filter.RescannedCycles}");
        if (kernel.Info is { } info && kernel.AddressSpace is { } space && ZoneCounters.FreePages(info, space) is long kernelFree)
            sink.DebugLine($"free pages   : {filter.Stats.Free} found in page structs; the kernel's zone counters say {kernelFree} (without per-CPU deltas not yet folded in)");
    }

    /// <summary>
    /// Warnings printed once at the end: corrupt kernel data worked around (one line per kind, with a count and the first
    /// example), page structs that could not be read, and input pages lost to I/O errors (one line per contiguous range).
    /// </summary>
    private void ReportWarnings(KernelModel kernel, DumpFilter filter)
    {
        var data = new DataWarnings();
        data.AddFrom(kernel.DataWarnings);
        if (filter.Scanner is { } s)
            data.AddFrom(s.Classifier.Warnings);
        foreach (var w in data.Items)
            sink.Warning(w.ToString());
        if (filter.Scanner is { UnreadableStructs: > 0 } scanner)
            sink.Warning($"WARNING: {scanner.UnreadableStructs} page structs could not be read (unmapped mem_map, or input I/O errors); those pages were kept.");
        ReportLostPages(kernel, filter);
    }

    /// <summary>One warning per contiguous input range lost to I/O errors, then the total (the dump itself is complete).</summary>
    private void ReportLostPages(KernelModel kernel, DumpFilter filter)
    {
        var lost = kernel.Physical.LostPages;
        if (lost.Count == 0)
            return;
        int shift = kernel.PageShift;
        ulong pages = 0, inDump = 0;
        var counter = filter.NewCursor();
        foreach (var l in lost)
        {
            string where = $"file offsets 0x{l.FileOffset:x}-0x{l.FileEnd:x}";
            if (l.PaddrEnd == l.Paddr)
            {
                sink.Warning($"WARNING: input read error ({l.Reason}) at {where} (no page data there).");
                continue;
            }
            ulong first = l.StartPfn(shift), end = l.EndPfn(shift);
            ulong dumped = counter.Count(first, end);
            pages += end - first;
            inDump += dumped;
            sink.Warning($"WARNING: input read error ({l.Reason}) at {where}, pfn 0x{first:x}-0x{end:x}: {end - first} pages hit, {dumped} of them in the dump (unreadable bytes as zeros).");
        }
        sink.Warning($"WARNING: {pages} pages could not be read, wholly or partly, from the input ({lost.Count} {(lost.Count == 1 ? "range" : "ranges")}); {inDump} of them are in the dump with their unreadable bytes as zeros. The rest of the dump is complete.");
    }
}
