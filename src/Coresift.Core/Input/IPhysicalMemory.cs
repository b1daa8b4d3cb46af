namespace Coresift.Input;

/// <summary>A physical range backed by the input: [Start, FileEnd) has bytes, [FileEnd, MemEnd) reads as zeros.</summary>
public readonly record struct PhysicalRange(ulong Start, ulong FileEnd, ulong MemEnd);

/// <summary>Reads the crashed machine's physical memory. Knows file formats only, nothing of kernels.</summary>
public interface IPhysicalMemory
{
    /// <summary>The backed physical ranges, one per input segment, in input order (they may overlap).</summary>
    IReadOnlyList<PhysicalRange> Segments { get; }

    /// <summary>Reads destination.Length bytes at paddr; false if any byte lies in a hole.</summary>
    /// <remarks>Bytes the input cannot deliver (I/O errors) read as zeros; <see cref="HasLostBytes"/> tells which.</remarks>
    bool TryRead(ulong paddr, Span<byte> destination);

    /// <summary>As <see cref="TryRead"/>, with read(2) rather than through a mapping where the input has a choice: for long
    /// runs of pages read once.</summary>
    bool TryReadDirect(ulong paddr, Span<byte> destination) => TryRead(paddr, destination);

    /// <summary>Gives a zero-copy view of [paddr, paddr+length) when it lies inside one mapped segment's file bytes.</summary>
    bool TryGetSpan(ulong paddr, int length, out ReadOnlySpan<byte> span);

    /// <summary>Says that [paddr, paddr + length) will not be read again soon, so its mapping may be dropped (a hint).</summary>
    void Release(ulong paddr, ulong length) { }

    /// <summary>True when some byte of [paddr, paddr + length) could not be read from the input (it reads as zero).</summary>
    bool HasLostBytes(ulong paddr, ulong length) => false;

    /// <summary>The pages lost to input I/O errors so far, one entry per contiguous file range.</summary>
    IReadOnlyList<LostPages> LostPages => [];
}

/// <summary>Input file bytes [FileOffset, FileEnd) that could not be read, and the physical range [Paddr, PaddrEnd) they hold (empty when none).</summary>
public readonly record struct LostPages(long FileOffset, long FileEnd, ulong Paddr, ulong PaddrEnd, string Reason)
{
    /// <summary>The first pfn affected.</summary>
    public ulong StartPfn(int pageShift) => Paddr >> pageShift;

    /// <summary>One past the last pfn affected (partly lost pages count).</summary>
    public ulong EndPfn(int pageShift) => PaddrEnd == Paddr ? Paddr >> pageShift : ((PaddrEnd - 1) >> pageShift) + 1;
}
