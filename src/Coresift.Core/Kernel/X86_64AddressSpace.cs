using Coresift.Common;
using Coresift.Input;
using static Coresift.Kernel.X86_64Layout;

namespace Coresift.Kernel;

/// <summary>Kernel virtual memory of an x86_64 dump: 4- and 5-level page walks from init_top_pgt, KASLR and phys_base aware.</summary>
public sealed class X86_64AddressSpace : IKernelMemory
{
    private readonly IPhysicalMemory _phys;
    private readonly ulong _root;
    private readonly ulong _smeMask;
    private readonly int _levels;
    // One-entry translation cache: most reads walk along one mapping. One immutable object, so that threads
    // scanning in parallel never see a torn entry.
    private Translation _cached = new(1, 0, 0);

    /// <summary>While set, the pfn of every physical page read through this address space (page tables and data) is added to it. One thread only.</summary>
    public HashSet<ulong>? RecordedPfns { get; set; }

    /// <summary>One leaf mapping: [Vbase, Vbase + Size) maps to Pbase.</summary>
    private sealed record Translation(ulong Vbase, ulong Pbase, ulong Size);

    /// <summary>Physical address of the top-level page table.</summary>
    public ulong RootTable => _root;

    /// <summary>4 or 5.</summary>
    public int Levels => _levels;

    /// <summary>phys_base: where the kernel image really sits, minus where it was linked.</summary>
    public long PhysBase { get; }

    /// <summary>The lowest address of the kernel half of the virtual address space.</summary>
    public ulong KernelSpaceStart => _levels == 5 ? KernelHalf5Level : KernelHalf4Level;

    /// <summary>Creates the address space from explicit parameters (tests, and the factory below).</summary>
    public X86_64AddressSpace(IPhysicalMemory phys, ulong rootTablePhys, int levels, ulong smeMask, long physBase)
    {
        ThrowHelper.Check(levels is 4 or 5, $"unsupported paging depth {levels}");
        _phys = phys;
        _root = rootTablePhys & EntryAddressMask & ~smeMask;
        _levels = levels;
        _smeMask = smeMask;
        PhysBase = physBase;
    }

    /// <summary>Builds the address space from VMCOREINFO and the PT_LOAD headers.</summary>
    public static X86_64AddressSpace Create(IPhysicalMemory phys, VmcoreInfo info, IReadOnlyList<ProgramHeader> loads, long? physBaseHint = null)
    {
        long physBase = info.Number("phys_base") ?? physBaseHint ?? PhysBaseFromLoads(loads);
        ulong top = info.Symbol("init_level4_pgt") ?? info.Symbol("init_top_pgt") ?? info.Symbol("swapper_pg_dir")
            ?? throw VmcoreInfo.Missing("SYMBOL(init_top_pgt)");
        ThrowHelper.Check(top >= StartKernelMap, $"SYMBOL(init_top_pgt)=0x{top:x} is not a kernel-image address");
        ulong rootPhys = unchecked(top - StartKernelMap + (ulong)physBase);
        int levels = (info.Number("pgtable_l5_enabled") ?? 0) != 0 ? 5 : 4;
        ulong sme = unchecked((ulong)(info.Number("sme_mask") ?? 0));
        return new X86_64AddressSpace(phys, rootPhys, levels, sme, physBase);
    }

    /// <summary>phys_base from a PT_LOAD that maps the kernel image (older kernels without NUMBER(phys_base)).</summary>
    private static long PhysBaseFromLoads(IReadOnlyList<ProgramHeader> loads)
    {
        foreach (var l in loads)
            if (l.VirtualAddress >= StartKernelMap && l.VirtualAddress != ulong.MaxValue)
                return unchecked((long)(l.PhysicalAddress - (l.VirtualAddress - StartKernelMap)));
        return 0;
    }

    /// <summary>Reads one 8-byte table entry at a physical address.</summary>
    private bool TryReadEntry(ulong paddr, out ulong entry)
    {
        Span<byte> b = stackalloc byte[8];
        RecordedPfns?.Add(paddr >> 12);
        if (!_phys.TryRead(paddr, b) || _phys.HasLostBytes(paddr, 8))
        {
            entry = 0;
            return false;
        }
        entry = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b);
        return true;
    }

    /// <inheritdoc />
    public bool TryTranslate(ulong vaddr, out ulong paddr, out ulong mappingSize)
    {
        var cached = _cached;
        if (unchecked(vaddr - cached.Vbase) < cached.Size)
        {
            paddr = cached.Pbase + (vaddr - cached.Vbase);
            mappingSize = cached.Size;
            return true;
        }
        paddr = 0;
        mappingSize = 0;
        ulong table = _root;
        int shift = _levels == 5 ? ShiftPgd5 : ShiftP4d;
        for (int level = _levels; level >= 1; level--, shift -= 9)
        {
            ulong index = (vaddr >> shift) & (EntriesPerTable - 1);
            if (!TryReadEntry(table + index * EntryBytes, out ulong entry) || (entry & Present) == 0)
                return false;
            ulong next = entry & EntryAddressMask & ~_smeMask;
            bool leaf = level == 1 || ((level == 2 || level == 3) && (entry & PageSizeBit) != 0);
            if (leaf)
            {
                ulong size = 1UL << shift;
                ulong pbase = next & ~(size - 1);
                paddr = pbase + (vaddr & (size - 1));
                mappingSize = size;
                _cached = new Translation(vaddr & ~(size - 1), pbase, size);
                return true;
            }
            table = next;
        }
        return false;
    }

    /// <inheritdoc />
    public bool TryRead(ulong vaddr, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (!TryTranslate(vaddr, out ulong paddr, out ulong size))
                return false;
            ulong left = size - (vaddr & (size - 1));
            int n = (int)Math.Min((ulong)destination.Length, left);
            if (RecordedPfns is { } recorded)
                for (ulong p = paddr >> 12; p <= (paddr + (ulong)n - 1) >> 12; p++)
                    recorded.Add(p);
            // Kernel data the input could not deliver (I/O errors) is unreadable, not zeros: callers take their safe path.
            if (!_phys.TryRead(paddr, destination[..n]) || _phys.HasLostBytes(paddr, (ulong)n))
                return false;
            destination = destination[n..];
            if (!destination.IsEmpty && vaddr > ulong.MaxValue - (ulong)n)
                return false; // the read runs off the top of the address space
            vaddr += (ulong)n;
        }
        return true;
    }

    /// <summary>Lists every page-table entry visited for vaddr, for --vtop style diagnostics.</summary>
    public IReadOnlyList<(string Level, ulong EntryAddress, ulong Value)> Walk(ulong vaddr)
    {
        var steps = new List<(string, ulong, ulong)>();
        string[] names = _levels == 5 ? ["PGD", "P4D", "PUD", "PMD", "PTE"] : ["PGD", "PUD", "PMD", "PTE"];
        ulong table = _root;
        int shift = _levels == 5 ? ShiftPgd5 : ShiftP4d;
        for (int i = 0; i < _levels; i++, shift -= 9)
        {
            ulong at = table + ((vaddr >> shift) & (EntriesPerTable - 1)) * EntryBytes;
            if (!TryReadEntry(at, out ulong entry))
                break;
            steps.Add((names[i], at, entry));
            if ((entry & Present) == 0 || (i < _levels - 1 && i >= _levels - 3 && (entry & PageSizeBit) != 0))
                break;
            table = entry & EntryAddressMask & ~_smeMask;
        }
        return steps;
    }
}
