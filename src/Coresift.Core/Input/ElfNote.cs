namespace Coresift.Input;

/// <summary>One ELF note: its name, type and where its descriptor lies in the file.</summary>
public readonly record struct ElfNote(string Name, uint Type, long DescOffset, int DescSize);
