namespace Coresift.Input;

/// <summary>One program header of an ELF core, class-independent.</summary>
public readonly record struct ProgramHeader(uint Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong PhysicalAddress, ulong FileSize, ulong MemorySize, ulong Align)
{
    /// <summary>True for a PT_LOAD segment.</summary>
    public bool IsLoad => Type == ElfLayout.PtLoad;

    /// <summary>True for a PT_NOTE segment.</summary>
    public bool IsNote => Type == ElfLayout.PtNote;
}
