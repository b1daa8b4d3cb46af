namespace Coresift.Common;

/// <summary>Caps on counts and sizes read from untrusted input, checked before any allocation or loop.</summary>
public sealed class Limits
{
    /// <summary>The defaults: generous for real machines (tens of TiB, thousands of CPUs), tight enough to stop hostile files.</summary>
    public static Limits Default { get; } = new();

    /// <summary>Most program headers an ELF core may have.</summary>
    public int MaxProgramHeaders { get; init; } = 65536;

    /// <summary>Most bytes of the PT_NOTE segments together.</summary>
    public int MaxNoteBytes { get; init; } = 64 << 20;

    /// <summary>Most notes in the PT_NOTE segments together.</summary>
    public int MaxNotes { get; init; } = 65536;

    /// <summary>Most bytes of VMCOREINFO text (the kernel caps it at one page; allow large pages).</summary>
    public int MaxVmcoreinfoBytes { get; init; } = 1 << 20;

    /// <summary>Most lines of VMCOREINFO text.</summary>
    public int MaxVmcoreinfoLines { get; init; } = 16384;

    /// <summary>Highest page frame count accepted (2^40 pages = 4 EiB of 4 KiB pages).</summary>
    public ulong MaxMapnr { get; init; } = 1UL << 40;

    /// <summary>Most memory sections a mem_map table may describe.</summary>
    public ulong MaxMemSections { get; init; } = 1UL << 26;

    /// <summary>Most entries followed along any kernel linked list before it is taken as cyclic.</summary>
    public int MaxListLength { get; init; } = 1 << 22;

    /// <summary>Most page-table levels walked for one translation.</summary>
    public int MaxPageTableDepth { get; init; } = 5;

    /// <summary>Highest buddy order believed; larger orders in struct page are corrupt.</summary>
    public int MaxBuddyOrder { get; init; } = 20;
}
