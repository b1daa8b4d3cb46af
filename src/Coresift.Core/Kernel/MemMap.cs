using System.Buffers.Binary;
using Coresift.Common;

namespace Coresift.Kernel;

/// <summary>Struct pages for pfns [StartPfn, EndPfn) start at virtual address MemMapAddress.</summary>
public readonly record struct MemMapRange(ulong StartPfn, ulong EndPfn, ulong MemMapAddress);

/// <summary>The memory models a kernel may use for its page structs.</summary>
public enum MemoryModel
{
    /// <summary>SPARSEMEM with a two-level root table (CONFIG_SPARSEMEM_EXTREME).</summary>
    SparsemEmExtreme,
    /// <summary>SPARSEMEM with one static array of sections.</summary>
    SparsemEmStatic,
    /// <summary>One mem_map array for all pfns.</summary>
    Flatmem,
}

/// <summary>Maps pfns to the virtual addresses of their struct pages: SPARSEMEM (EXTREME, static, VMEMMAP) and FLATMEM.</summary>
public sealed class MemMap
{
    // mem_section.section_mem_map low bits are flags (mmzone.h): PRESENT 0, HAS_MEM_MAP 1, ONLINE 2, EARLY 3,
    // TAINT_ZONE_DEVICE 4, VMEMMAP_PREINIT 5. The encoded pointer is at least 64-byte aligned.
    private const ulong SectionMarkedPresent = 1UL << 0;
    private const ulong SectionMapMask = ~0x3fUL;

    /// <summary>The contiguous mem_map ranges, in pfn order.</summary>
    public IReadOnlyList<MemMapRange> Ranges { get; }

    /// <summary>The model that was found.</summary>
    public MemoryModel Model { get; }

    /// <summary>Highest pfn + 1 with a struct page.</summary>
    public ulong EndPfn => Ranges.Count == 0 ? 0 : Ranges[^1].EndPfn;

    /// <summary>Highest pfn + 1 of a section marked present, also when its mem_map pointer was wild (its pages are kept).</summary>
    public ulong PresentEndPfn { get; }

    private MemMap(MemoryModel model, List<MemMapRange> ranges, ulong presentEnd = 0)
    {
        Model = model;
        Ranges = ranges;
        PresentEndPfn = Math.Max(presentEnd, EndPfn);
    }

    /// <summary>Warning kind: a present memory section whose mem_map pointer is not a kernel address.</summary>
    public const string KindSectionPointer = "wild section_mem_map pointer in mem_section";
    /// <summary>Warning kind: a mem_section root pointer that is not a kernel address or cannot be read.</summary>
    public const string KindRootPointer = "wild mem_section root pointer";
    /// <summary>What is done about wild section pointers.</summary>
    public const string SectionAction = "the pages of those sections were kept unfiltered";

    /// <summary>Finds the page structs of pfns [0, maxMapnr) from VMCOREINFO and kernel memory.</summary>
    /// <param name="warnings">Receives wild pointers met in mem_section (those sections keep all their pages).</param>
    public static MemMap Build(VmcoreInfo info, IKernelMemory mem, ulong kernelSpaceStart, int pageShift, ulong maxMapnr, Limits limits, DataWarnings? warnings = null)
    {
        long pageStruct = info.RequireSize("page");
        if (info.Symbol("mem_section") is ulong memSection && info.Size("mem_section") is long sectionSize && info.Offset("mem_section.section_mem_map") is long mapOffset)
            return BuildSparse(info, mem, kernelSpaceStart, pageShift, maxMapnr, limits, memSection, sectionSize, mapOffset, pageStruct, warnings);
        if (info.Symbol("mem_map") is ulong memMapVar)
        {
            Span<byte> b = stackalloc byte[8];
            ThrowHelper.Check(mem.TryRead(memMapVar, b), $"Can't read the mem_map pointer at 0x{memMapVar:x}");
            ulong baseAddr = BinaryPrimitives.ReadUInt64LittleEndian(b);
            ThrowHelper.Check(baseAddr >= kernelSpaceStart, $"mem_map=0x{baseAddr:x} is not a kernel address");
            return new MemMap(MemoryModel.Flatmem, [new MemMapRange(0, maxMapnr, baseAddr)]);
        }
        throw new BadInputException("VMCOREINFO describes no memory model (no SYMBOL(mem_section) nor SYMBOL(mem_map))");
    }

    /// <summary>Decodes the SPARSEMEM section table (EXTREME or static), trying the root pointer once more for EXTREME v2.</summary>
    private static MemMap BuildSparse(VmcoreInfo info, IKernelMemory mem, ulong kernelSpaceStart, int pageShift, ulong maxMapnr,
        Limits limits, ulong memSection, long sectionSize, long mapOffset, long pageStruct, DataWarnings? warnings)
    {
        long sectionBits = info.Number("SECTION_SIZE_BITS") ?? 27;
        long physBits = info.Number("MAX_PHYSMEM_BITS") ?? ((info.Number("pgtable_l5_enabled") ?? 0) != 0 ? 52 : 46);
        ThrowHelper.Check(sectionBits > pageShift && sectionBits < 64 && physBits > sectionBits && physBits <= 64,
            $"implausible SECTION_SIZE_BITS={sectionBits} / MAX_PHYSMEM_BITS={physBits}");
        ThrowHelper.Check(sectionSize is >= 8 and <= 4096 && mapOffset >= 0 && mapOffset + 8 <= sectionSize,
            $"implausible SIZE(mem_section)={sectionSize} / OFFSET(mem_section.section_mem_map)={mapOffset}");
        ThrowHelper.Check(pageStruct is > 0 and <= 4096, $"implausible SIZE(page)={pageStruct}");
        ulong pagesPerSection = 1UL << (int)(sectionBits - pageShift);
        ulong nrMemSections = 1UL << (int)(physBits - sectionBits);
        ulong sectionsPerRoot = (1UL << pageShift) / (ulong)sectionSize;
        ulong nrRoots = (nrMemSections + sectionsPerRoot - 1) / sectionsPerRoot;
        long? length = info.Length("mem_section");
        bool extreme = length is null || (length.Value >= 0 && (ulong)length.Value == nrRoots);
        ulong sections = (maxMapnr + pagesPerSection - 1) / pagesPerSection;
        ThrowHelper.CheckLimit(sections, limits.MaxMemSections, "the number of memory sections");

        var ctx = new SectionDecoder(mem, kernelSpaceStart, pagesPerSection, (ulong)sectionSize, (ulong)mapOffset, (ulong)pageStruct, maxMapnr);
        List<MemMapRange> ranges;
        if (extreme)
        {
            ranges = ctx.DecodeExtreme(memSection, sections, sectionsPerRoot);
            // Since 4.15 mem_section is a pointer; a symbol address (not the exported value) needs one dereference.
            if (ranges.Count == 0)
            {
                Span<byte> b = stackalloc byte[8];
                ctx = new SectionDecoder(mem, kernelSpaceStart, pagesPerSection, (ulong)sectionSize, (ulong)mapOffset, (ulong)pageStruct, maxMapnr);
                if (mem.TryRead(memSection, b))
                    ranges = ctx.DecodeExtreme(BinaryPrimitives.ReadUInt64LittleEndian(b), sections, sectionsPerRoot);
            }
        }
        else
        {
            ranges = ctx.DecodeStatic(memSection, sections);
        }
        ThrowHelper.Check(ranges.Count > 0, "No valid memory section was found in mem_section: the dump's kernel data is unreadable");
        // Only the decoding that was kept speaks: the other one read something that was not the section table.
        warnings?.AddFrom(ctx.Warnings);
        return new MemMap(extreme ? MemoryModel.SparsemEmExtreme : MemoryModel.SparsemEmStatic, ranges, ctx.PresentEndPfn);
    }

    /// <summary>Reads and decodes mem_section entries, merging sections whose mem_maps are contiguous.</summary>
    private sealed class SectionDecoder(IKernelMemory mem, ulong kernelSpaceStart, ulong pagesPerSection, ulong sectionSize, ulong mapOffset, ulong pageStruct, ulong maxMapnr)
    {
        /// <summary>Wild pointers met by this decoding.</summary>
        public DataWarnings Warnings { get; } = new();

        /// <summary>Highest pfn + 1 of a present section, wild or not.</summary>
        public ulong PresentEndPfn { get; private set; }

        /// <summary>Walks root pointers, then each root's array of sections.</summary>
        /// <remarks>The root array is read a page at a time: up to 2^26 roots must not size one allocation (512 MiB).</remarks>
        public List<MemMapRange> DecodeExtreme(ulong rootArray, ulong sections, ulong perRoot)
        {
            var ranges = new List<MemMapRange>();
            ulong roots = (sections + perRoot - 1) / perRoot;
            var rootBuf = new byte[Math.Min(roots, 512) * 8];
            var sectionBuf = new byte[perRoot * sectionSize];
            for (ulong first = 0; first < roots; first += 512)
            {
                ulong count = Math.Min(512, roots - first);
                if (!mem.TryRead(unchecked(rootArray + first * 8), rootBuf.AsSpan(0, (int)(count * 8))))
                    return []; // as one read of the whole array: an unreadable root array decodes nothing
                for (ulong k = 0; k < count; k++)
                {
                    ulong r = first + k;
                    ulong root = BinaryPrimitives.ReadUInt64LittleEndian(rootBuf.AsSpan((int)(k * 8)));
                    if (root == 0)
                        continue;
                    if (root < kernelSpaceStart || !mem.TryRead(root, sectionBuf))
                    {
                        if (Warnings.Add(KindRootPointer, "the pages of those roots' sections were kept unfiltered"))
                            Warnings.SetExample(KindRootPointer, $"root {r}, pointer 0x{root:x}");
                        continue;
                    }
                    for (ulong i = 0; i < perRoot; i++)
                    {
                        ulong nr = r * perRoot + i;
                        if (nr >= sections)
                            break;
                        Add(ranges, nr, BinaryPrimitives.ReadUInt64LittleEndian(sectionBuf.AsSpan((int)(i * sectionSize + mapOffset))));
                    }
                }
            }
            return ranges;
        }

        /// <summary>Reads the static array of sections, up to a page of entries per read.</summary>
        /// <remarks>
        /// A hostile p_memsz can ask for 2^26 sections: one page walk per entry took seconds. A chunk spans at most two
        /// pages, so when its first and last entries are both unreadable, every entry between is unreadable too.
        /// </remarks>
        public List<MemMapRange> DecodeStatic(ulong array, ulong sections)
        {
            var ranges = new List<MemMapRange>();
            ulong perChunk = Math.Max(1, 4096 / sectionSize);
            var chunk = new byte[perChunk * sectionSize];
            Span<byte> entry = stackalloc byte[8];
            for (ulong first = 0; first < sections; first += perChunk)
            {
                ulong n = Math.Min(perChunk, sections - first);
                ulong at = unchecked(array + first * sectionSize);
                Span<byte> span = chunk.AsSpan(0, (int)(n * sectionSize));
                if (mem.TryRead(at, span))
                {
                    for (ulong i = 0; i < n; i++)
                        Add(ranges, first + i, BinaryPrimitives.ReadUInt64LittleEndian(span[(int)(i * sectionSize + mapOffset)..]));
                    continue;
                }
                if (!mem.TryRead(unchecked(at + mapOffset), entry) && !mem.TryRead(unchecked(at + (n - 1) * sectionSize + mapOffset), entry))
                    continue;
                for (ulong i = 0; i < n; i++)
                {
                    if (mem.TryRead(unchecked(at + i * sectionSize + mapOffset), entry))
                        Add(ranges, first + i, BinaryPrimitives.ReadUInt64LittleEndian(entry));
                }
            }
            return ranges;
        }

        /// <summary>Decodes one section_mem_map word and appends or extends a range.</summary>
        private void Add(List<MemMapRange> ranges, ulong nr, ulong coded)
        {
            if ((coded & SectionMarkedPresent) == 0)
                return;
            ulong startPfn = nr * pagesPerSection;
            if (startPfn >= maxMapnr)
                return;
            ulong memMap = unchecked((coded & SectionMapMask) + startPfn * pageStruct);
            PresentEndPfn = Math.Max(PresentEndPfn, Math.Min(startPfn + pagesPerSection, maxMapnr));
            if (memMap < kernelSpaceStart)
            {
                if (Warnings.Add(KindSectionPointer, SectionAction))
                    Warnings.SetExample(KindSectionPointer, $"section {nr}, section_mem_map 0x{coded:x}");
                return;
            }
            ulong endPfn = Math.Min(startPfn + pagesPerSection, maxMapnr);
            if (ranges.Count > 0)
            {
                var last = ranges[^1];
                if (last.EndPfn == startPfn && last.MemMapAddress + (startPfn - last.StartPfn) * pageStruct == memMap)
                {
                    ranges[^1] = last with { EndPfn = endPfn };
                    return;
                }
            }
            ranges.Add(new MemMapRange(startPfn, endPfn, memMap));
        }
    }
}
