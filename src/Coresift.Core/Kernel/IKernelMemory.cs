namespace Coresift.Kernel;

/// <summary>Reads the crashed kernel's virtual memory, translating through its own page tables.</summary>
public interface IKernelMemory
{
    /// <summary>Translates a kernel virtual address; mappingSize is the size of the page that maps it (4 KiB, 2 MiB, 1 GiB).</summary>
    bool TryTranslate(ulong vaddr, out ulong paddr, out ulong mappingSize);

    /// <summary>Reads destination.Length bytes at a virtual address; false if any page is unmapped or absent from the dump.</summary>
    bool TryRead(ulong vaddr, Span<byte> destination);
}
