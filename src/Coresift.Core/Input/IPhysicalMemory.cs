namespace Coresift.Input;

/// <summary>A physical range backed by the input: [Start, FileEnd) has bytes, [FileEnd, MemEnd) reads as zeros.</summary>
public readonly record struct PhysicalRange(ulong Start, ulong FileEnd, ulong MemEnd);

/// <summary>Reads the crashed machine's physical memory. Knows file formats only, nothing of kernels.</summary>
public interface IPhysicalMemory
{
    /// <summary>The backed physical ranges, one per input segment, in input order (they may overlap).</summary>
    IReadOnlyList<PhysicalRange> Segments { get; }

    /// <summary>Reads destination.Length bytes at paddr; false if any byte lies in a hole.</summary>
    bool TryRead(ulong paddr, Span<byte> destination);

    /// <summary>Gives a zero-copy view of [paddr, paddr+length) when it lies inside one mapped segment's file bytes.</summary>
    bool TryGetSpan(ulong paddr, int length, out ReadOnlySpan<byte> span);

    /// <summary>Says that [paddr, paddr + length) will not be read again soon, so its mapping may be dropped (a hint).</summary>
    void Release(ulong paddr, ulong length) { }
}
