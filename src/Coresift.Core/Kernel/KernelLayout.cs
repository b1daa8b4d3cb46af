using Coresift.Input;
using static Coresift.Kernel.X86_64Layout;

namespace Coresift.Kernel;

/// <summary>Where the direct map and the vmemmap start, derived when VMCOREINFO does not export them (x86_64 never does).</summary>
public readonly record struct KernelLayout(ulong? PageOffset, string PageOffsetSource, ulong? VmemmapBase)
{
    /// <summary>Derives page_offset_base and vmemmap_base from the dump.</summary>
    /// <remarks>
    /// page_offset_base: from a /proc/vmcore PT_LOAD of the direct map (p_vaddr - p_paddr), else by translating a known
    /// direct-map pointer (the mem_section root array, or FLATMEM's mem_map) through the page tables.
    /// vmemmap_base: the struct page address of pfn 0 when page structs live outside the direct map.
    /// </remarks>
    public static KernelLayout Derive(VmcoreInfo info, IReadOnlyList<ProgramHeader> loads, X86_64AddressSpace space, MemMap memMap, long pageStructSize)
    {
        ulong? fromLoads = FromLoads(loads, space.KernelSpaceStart);
        ulong? fromTables = FromPointer(info.Symbol("mem_section"), space) ?? FromPointer(memMap.Model == MemoryModel.Flatmem ? memMap.Ranges[0].MemMapAddress : null, space);
        ulong? pageOffset = fromLoads ?? fromTables;
        string source = fromLoads is not null ? "pt_load" : fromTables is not null ? "page tables" : "none";
        ulong? vmemmap = null;
        if (memMap.Ranges.Count > 0)
        {
            var first = memMap.Ranges[0];
            ulong base0 = unchecked(first.MemMapAddress - first.StartPfn * (ulong)pageStructSize);
            // Struct pages in the direct map (static SPARSEMEM, FLATMEM) have no vmemmap.
            bool inDirectMap = pageOffset is ulong po && first.MemMapAddress >= po && first.MemMapAddress - po < 1UL << 46;
            if (!inDirectMap && memMap.Model == MemoryModel.SparsemEmExtreme)
                vmemmap = base0;
        }
        return new KernelLayout(pageOffset, source, vmemmap);
    }

    /// <summary>page_offset from the last direct-map PT_LOAD (vaddr in the kernel half, below the kernel image), or null.</summary>
    public static ulong? FromLoads(IReadOnlyList<ProgramHeader> loads, ulong kernelSpaceStart)
    {
        ulong? result = null;
        foreach (var l in loads)
            if (l.VirtualAddress >= kernelSpaceStart && l.VirtualAddress < StartKernelMap && l.VirtualAddress >= l.PhysicalAddress)
                result = l.VirtualAddress - l.PhysicalAddress;
        return result;
    }

    /// <summary>page_offset from a direct-map pointer: its virtual address minus its physical address.</summary>
    private static ulong? FromPointer(ulong? vaddr, X86_64AddressSpace space)
    {
        if (vaddr is not ulong v || v < space.KernelSpaceStart || v >= StartKernelMap)
            return null;
        if (!space.TryTranslate(v, out ulong p, out _))
            return null;
        ulong po = v - p;
        // The direct map maps physical 0 at page_offset: check that it really does.
        return space.TryTranslate(po, out ulong zero, out _) && zero == 0 ? po : null;
    }
}
