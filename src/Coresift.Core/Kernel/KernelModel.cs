using System.Numerics;
using Coresift.Common;
using Coresift.Input;

namespace Coresift.Kernel;

/// <summary>The crashed kernel as coresift understands it: VMCOREINFO, page size, pfn extent, address space and mem_map.</summary>
public sealed class KernelModel
{
    /// <summary>Page size of the dumped kernel.</summary>
    public int PageSize { get; }

    /// <summary>log2(PageSize).</summary>
    public int PageShift { get; }

    /// <summary>Highest backed pfn + 1.</summary>
    public ulong MaxMapnr { get; }

    /// <summary>VMCOREINFO, or null when the dump has none.</summary>
    public VmcoreInfo? Info { get; }

    /// <summary>Generation-dependent rules (null without VMCOREINFO).</summary>
    public KernelTraits? Traits { get; }

    /// <summary>Kernel virtual memory (null when not needed or not available).</summary>
    public X86_64AddressSpace? AddressSpace { get; }

    /// <summary>The page-struct map (null when not needed).</summary>
    public MemMap? MemMap { get; }

    /// <summary>page_offset_base and vmemmap_base, derived (null parts when unknown).</summary>
    public KernelLayout Layout { get; private init; }

    /// <summary>Why the page structs could not be located at a level that did not need them, or null.</summary>
    public string? Warning { get; private init; }

    /// <summary>Corrupt kernel data found while building the model (e.g. wild mem_section pointers), per kind.</summary>
    public DataWarnings DataWarnings { get; } = new();

    /// <summary>Highest compound (folio) order believed in struct pages (Limits.MaxBuddyOrder).</summary>
    public int MaxCompoundOrder { get; private init; } = 20;

    /// <summary>Physical memory of the dump.</summary>
    public IPhysicalMemory Physical { get; }

    private KernelModel(int pageSize, ulong maxMapnr, VmcoreInfo? info, KernelTraits? traits, X86_64AddressSpace? space, MemMap? memMap, IPhysicalMemory phys)
    {
        PageSize = pageSize;
        PageShift = BitOperations.Log2((uint)pageSize);
        MaxMapnr = maxMapnr;
        Info = info;
        Traits = traits;
        AddressSpace = space;
        MemMap = memMap;
        Physical = phys;
    }

    /// <summary>Builds the model; page structs are located only when <paramref name="needPageStructs"/>.</summary>
    public static KernelModel Build(DumpInput input, Limits limits, bool needPageStructs)
    {
        VmcoreInfo? info = input.VmcoreInfoBytes is { } bytes ? VmcoreInfo.Parse(bytes, limits) : null;
        if (info is null && needPageStructs)
            throw new BadInputException($"{input.File.Path} doesn't contain vmcoreinfo; dump levels above 1 need it (-x and -i are not supported yet)");
        long pageSize = info?.PageSize ?? 4096;
        ThrowHelper.Check(pageSize is >= 4096 and <= 65536 && BitOperations.IsPow2(pageSize), $"PAGESIZE={pageSize} is not a supported page size");
        int shift = BitOperations.Log2((ulong)pageSize);

        ulong maxEnd = 0;
        foreach (var s in input.Memory.Segments)
            maxEnd = Math.Max(maxEnd, s.MemEnd);
        ulong maxMapnr = (maxEnd + (ulong)pageSize - 1) >> shift;
        ThrowHelper.CheckLimit(maxMapnr, limits.MaxMapnr, "max_mapnr");

        X86_64AddressSpace? space = null;
        MemMap? memMap = null;
        string? warning = null;
        KernelTraits? traits = null;
        try
        {
            traits = info is null ? null : KernelTraits.FromVmcoreInfo(info);
        }
        catch (BadInputException e) when (!needPageStructs)
        {
            warning = e.Message; // corrupt struct page entries: levels 0 and 1 do not read struct pages
        }
        KernelLayout layout = default;
        var dataWarnings = new DataWarnings();
        if (info is not null && traits is { CanScanPages: true })
        {
            try
            {
                ThrowHelper.Check(input.Machine == Input.ElfLayout.EmX86_64,
                    $"page-struct filtering supports x86_64 dumps only (machine {input.Machine}); use -d 0 or -d 1");
                space = X86_64AddressSpace.Create(input.Memory, info, input.Loads, input.Kdump?.PhysBase);
                memMap = MemMap.Build(info, space, space.KernelSpaceStart, shift, maxMapnr, limits, dataWarnings);
                // Pfns past the last present section have no struct page: max_mapnr ends there (mem=, device BARs).
                // A present section with a wild mem_map pointer still counts: its pages are kept, not cut off.
                maxMapnr = Math.Min(maxMapnr, memMap.PresentEndPfn);
                layout = KernelLayout.Derive(info, input.Loads, space, memMap, traits.PageStructSize);
            }
            catch (BadInputException e) when (!needPageStructs)
            {
                // Dump levels 0 and 1 need no page structs: go on without them.
                warning = e.Message;
                space = null;
                memMap = null;
            }
        }
        else if (needPageStructs)
        {
            throw new BadInputException("VMCOREINFO lacks SIZE(page) or OFFSET(page.mapping), which this dump level needs");
        }
        var model = new KernelModel((int)pageSize, maxMapnr, info, traits, space, memMap, input.Memory)
        {
            Warning = warning,
            Layout = layout,
            MaxCompoundOrder = limits.MaxBuddyOrder,
        };
        model.DataWarnings.AddFrom(dataWarnings);
        return model;
    }
}
