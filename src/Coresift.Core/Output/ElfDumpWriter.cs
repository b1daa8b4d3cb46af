using System.Buffers.Binary;
using Coresift.Filter;
using Coresift.Input;
using static Coresift.Input.ElfLayout;

namespace Coresift.Output;

/// <summary>One output PT_LOAD: [Paddr, Paddr + FileSize) has data at Offset, the rest up to MemSize was excluded.</summary>
public readonly record struct ElfSegment(ulong Paddr, ulong Vaddr, ulong FileSize, ulong MemSize, ulong Offset, uint Flags, ulong Align);

/// <summary>What the ELF writer produced.</summary>
public readonly record struct ElfResult(long Bytes, ulong ZeroPages, ulong ExcludedInElf, ulong RemainingInElf, int Segments, bool Incomplete, string? IncompleteReason);

/// <summary>
/// -E: writes an ELF64 core like /proc/vmcore: header, PT_NOTE then PT_LOADs, the notes verbatim, then the data packed
/// right after the notes. Each input PT_LOAD is split where 256 or more consecutive pages are excluded; shorter excluded
/// runs are written as they are, excluded tails become p_memsz &gt; p_filesz.
/// </summary>
public sealed class ElfDumpWriter(IOutputSink sink, ElfCore core, byte[] identity, byte[] notes, IPhysicalMemory memory, int pageSize)
{
    /// <summary>Bytes of the input's ELF header copied as they are: e_ident, e_type, e_machine, e_version, e_entry.</summary>
    public const int IdentityBytes = 32;

    /// <summary>Runs of at least this many excluded pages end a segment (makedumpfile's PFN_EXCLUDED).</summary>
    public const int SplitRun = 256;

    /// <summary>Threads that look for zero pages (--num-threads); the file does not depend on it.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Set by a signal: the zero-page search stops (unchecked pages are kept) and the copy stops as on a full device.</summary>
    public CancellationToken Interrupt { get; init; }

    /// <summary>Plans the segments from the dumpable cycles (zero pages found here when excludeZero), then writes the file.</summary>
    /// <remarks>Only one cycle's bitmaps are held at a time (its dumpable and zero pages), so the memory stays within
    /// the cycle plan's budget however large the machine.</remarks>
    public ElfResult Write(IDumpableCycles dumpable, ulong maxMapnr, bool excludeZero)
    {
        var kept = new KeptPages(this, dumpable, maxMapnr, excludeZero);
        var plan = Plan(kept);
        int phnum = 1 + plan.Count;
        bool extended = phnum >= PnXnum;
        long phoff = Elf64.EhdrSize;
        long afterHeaders = phoff + (long)phnum * Elf64.PhdrSize + (extended ? Elf64.ShdrSize : 0);
        long noteOffset = afterHeaders;
        ulong data = (ulong)(noteOffset + notes.Length);
        var segments = new ElfSegment[plan.Count];
        for (int i = 0; i < plan.Count; i++)
        {
            var p = plan[i];
            segments[i] = p.Segment with { Offset = p.Segment.FileSize == 0 && p.MidLoad ? 0 : data };
            data += p.Segment.FileSize;
        }
        WriteHeaders(segments, phoff, extended, noteOffset, flags: core.Flags);
        try
        {
            CopyData(segments);
        }
        catch (OutputFullException e)
        {
            WriteElfFlags(core.Flags | 1);
            return Result(segments, kept.ZeroPages, true, e.Message);
        }
        return Result(segments, kept.ZeroPages, false, null);
    }

    /// <summary>Whether each pfn goes into the file, one window of pfns (a cycle, or its like above max_mapnr) at a time.</summary>
    private sealed class KeptPages(ElfDumpWriter writer, IDumpableCycles cycles, ulong maxMapnr, bool excludeZero)
    {
        private readonly Bitmap _counted = new(0, cycles.Plan.Count);   // windows whose zero pages are counted
        private ulong _window = ulong.MaxValue;
        private Bitmap? _dumpable, _zero;

        /// <summary>Zero pages below max_mapnr, counted once per window.</summary>
        public ulong ZeroPages { get; private set; }

        /// <summary>True when pfn is dumpable (every pfn above max_mapnr is) and not a zero page left out.</summary>
        public bool Keep(ulong pfn)
        {
            ulong window = pfn / cycles.Plan.CyclePfns;
            if (window != _window)
                Enter(window);
            return (pfn >= maxMapnr || _dumpable!.Test(pfn)) && !(_zero?.Test(pfn) ?? false);
        }

        /// <summary>Fetches a window's dumpable pfns and, when zero pages go, finds them.</summary>
        private void Enter(ulong window)
        {
            _window = window;
            ulong start = window * cycles.Plan.CyclePfns;
            _dumpable = window < cycles.Plan.Count ? cycles.DumpableCycle(window) : null;
            if (!excludeZero)
                return;
            _zero = writer.FindZeroPages(_dumpable, start, start + cycles.Plan.CyclePfns, maxMapnr);
            if (window < cycles.Plan.Count && !_counted.Test(window))
            {
                _counted.SetRange(window, window + 1);
                ZeroPages += _zero.CountSet(start, maxMapnr);
            }
        }
    }

    /// <summary>Marks the pages of pfns [start, end) with file data that are all zero: those dumpable (null: all) below
    /// maxMapnr, and every one above it.</summary>
    private Bitmap FindZeroPages(Bitmap? dumpable, ulong start, ulong end, ulong maxMapnr)
    {
        var zero = new Bitmap(start, end - start);
        const ulong chunk = 1UL << 15;   // pfns per work item; start is a multiple of 512, so threads never share a word
        foreach (var l in core.Loads)
        {
            ulong first = Math.Max(start, l.PhysicalAddress / (ulong)pageSize);
            ulong last = Math.Min(end, (l.PhysicalAddress + l.FileSize) / (ulong)pageSize);
            if (last <= first)
                continue;
            long items = (long)((last - 1 - start) / chunk - (first - start) / chunk + 1);
            ulong firstItem = (first - start) / chunk;
            var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Threads) };
            Parallel.For(0L, items, options, () => new byte[pageSize], (item, _, buf) =>
            {
                ulong lo = Math.Max(first, start + (firstItem + (ulong)item) * chunk);
                ulong hi = Math.Min(last, start + (firstItem + (ulong)item + 1) * chunk);
                for (ulong pfn = lo; pfn < hi && !Interrupt.IsCancellationRequested; pfn++)
                {
                    if (pfn < maxMapnr && dumpable is not null && !dumpable.Test(pfn))
                        continue;
                    ulong paddr = pfn * (ulong)pageSize;
                    if (!memory.TryGetSpan(paddr, pageSize, out ReadOnlySpan<byte> page))
                    {
                        if (!memory.TryRead(paddr, buf))
                            continue;
                        page = buf;
                    }
                    if (!page.ContainsAnyExcept((byte)0))
                        zero.SetRange(pfn, pfn + 1);
                }
                return buf;
            }, _ => { });
        }
        return zero;
    }

    /// <summary>A planned segment and whether it was closed inside its PT_LOAD (an empty one then gets p_offset 0).</summary>
    private readonly record struct Planned(ElfSegment Segment, bool MidLoad);

    /// <summary>Cuts every input PT_LOAD into output segments.</summary>
    private List<Planned> Plan(KeptPages kept)
    {
        var result = new List<Planned>();
        ulong ps = (ulong)pageSize;
        foreach (var l in core.Loads)
        {
            ulong loadStart = l.PhysicalAddress, loadEnd = l.PhysicalAddress + l.MemorySize, fileEnd = l.PhysicalAddress + l.FileSize;
            ulong segStart = loadStart, dataEnd = loadStart, runStart = 0, run = 0;
            for (ulong pfn = loadStart / ps; pfn * ps < loadEnd; pfn++)
            {
                ulong pageStart = Math.Max(pfn * ps, loadStart), pageEnd = Math.Min((pfn + 1) * ps, loadEnd);
                bool whole = pfn * ps >= loadStart && (pfn + 1) * ps <= fileEnd;
                bool keep = whole && kept.Keep(pfn);
                if (!keep)
                {
                    if (run++ == 0)
                        runStart = pageStart;
                    continue;
                }
                if (run >= SplitRun)
                {
                    result.Add(new(Segment(l, segStart, runStart - segStart, pageStart - segStart), MidLoad: true));
                    segStart = pageStart;
                }
                run = 0;
                dataEnd = pageEnd;
            }
            // A trailing excluded run of any length is left out as p_memsz > p_filesz.
            ulong fileSize = (run > 0 ? runStart : dataEnd) - segStart;
            result.Add(new(Segment(l, segStart, Math.Min(fileSize, loadEnd - segStart), loadEnd - segStart), MidLoad: false));
        }
        return result;
    }

    /// <summary>A segment of input load l starting at paddr start.</summary>
    private static ElfSegment Segment(ProgramHeader l, ulong start, ulong fileSize, ulong memSize) =>
        new(start, l.VirtualAddress == 0 ? 0 : l.VirtualAddress + (start - l.PhysicalAddress), fileSize, memSize, 0, l.Flags, l.Align);

    /// <summary>Writes the ELF header, the program headers (and the PN_XNUM section header), and the notes.</summary>
    private void WriteHeaders(ElfSegment[] segments, long phoff, bool extended, long noteOffset, uint flags)
    {
        int phnum = 1 + segments.Length;
        var head = new byte[noteOffset];
        var s = head.AsSpan();
        identity.AsSpan(0, IdentityBytes).CopyTo(s);
        BinaryPrimitives.WriteUInt64LittleEndian(s[Elf64.EPhoff..], (ulong)phoff);
        BinaryPrimitives.WriteUInt32LittleEndian(s[Elf64.EFlags..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(s[Elf64.EEhsize..], Elf64.EhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(s[Elf64.EPhentsize..], Elf64.PhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(s[Elf64.EPhnum..], extended ? PnXnum : (ushort)phnum);
        if (extended)
        {
            long shoff = phoff + (long)phnum * Elf64.PhdrSize;
            BinaryPrimitives.WriteUInt64LittleEndian(s[Elf64.EShoff..], (ulong)shoff);
            BinaryPrimitives.WriteUInt16LittleEndian(s[Elf64.EShentsize..], Elf64.ShdrSize);
            BinaryPrimitives.WriteUInt16LittleEndian(s[Elf64.EShnum..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(s[((int)shoff + Elf64.ShInfo)..], (uint)phnum);
        }
        var note = core.NoteSegments.Count > 0 ? core.NoteSegments[0] : default;
        WritePhdr(s[(int)phoff..], PtNote, note.Flags, (ulong)noteOffset, 0, 0, (ulong)notes.Length, (ulong)notes.Length, note.Align);
        for (int i = 0; i < segments.Length; i++)
        {
            var g = segments[i];
            WritePhdr(s[(int)(phoff + (i + 1) * Elf64.PhdrSize)..], PtLoad, g.Flags, g.Offset, g.Vaddr, g.Paddr, g.FileSize, g.MemSize, g.Align);
        }
        sink.Write(0, head);
        sink.Write(noteOffset, notes);
    }

    /// <summary>Serializes one Elf64_Phdr.</summary>
    private static void WritePhdr(Span<byte> p, uint type, uint flags, ulong offset, ulong vaddr, ulong paddr, ulong filesz, ulong memsz, ulong align)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(p[Elf64.PType..], type);
        BinaryPrimitives.WriteUInt32LittleEndian(p[Elf64.PFlags..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(p[Elf64.POffset..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(p[Elf64.PVaddr..], vaddr);
        BinaryPrimitives.WriteUInt64LittleEndian(p[Elf64.PPaddr..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(p[Elf64.PFilesz..], filesz);
        BinaryPrimitives.WriteUInt64LittleEndian(p[Elf64.PMemsz..], memsz);
        BinaryPrimitives.WriteUInt64LittleEndian(p[Elf64.PAlign..], align);
    }

    /// <summary>Rewrites e_flags (bit 0 marks an incomplete dump).</summary>
    private void WriteElfFlags(uint flags)
    {
        Span<byte> f = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(f, flags);
        try
        {
            sink.Write(Elf64.EFlags, f);
        }
        catch (OutputFullException)
        {
            // The header was written first; only the flag could not be set.
        }
    }

    /// <summary>Copies every segment's file bytes from physical memory (excluded pages inside a segment keep their contents).</summary>
    private void CopyData(ElfSegment[] segments)
    {
        var buffer = new byte[1 << 20];
        foreach (var g in segments)
        {
            for (ulong done = 0; done < g.FileSize;)
            {
                if (Interrupt.IsCancellationRequested)
                    throw new OutputInterruptedException("interrupted");
                int n = (int)Math.Min((ulong)buffer.Length, g.FileSize - done);
                if (!memory.TryRead(g.Paddr + done, buffer.AsSpan(0, n)))
                    Array.Clear(buffer, 0, n);
                sink.Write((long)(g.Offset + done), buffer.AsSpan(0, n));
                done += (ulong)n;
            }
        }
    }

    /// <summary>The report's ELF rows: pages really left out (rounded up per segment) and the zero pages found.</summary>
    private ElfResult Result(ElfSegment[] segments, ulong zeroPages, bool incomplete, string? reason)
    {
        ulong ps = (ulong)pageSize, excluded = 0;
        foreach (var g in segments)
            excluded += (g.MemSize - g.FileSize + ps - 1) / ps;
        return new ElfResult(sink.Length, zeroPages, excluded, 0, segments.Length, incomplete, reason);
    }
}
