using Coresift.Input;

namespace Coresift.Output;

/// <summary>
/// A zeroed buffer of anonymous memory outside the GC heap, on 2 MiB boundaries and advised for transparent huge pages
/// (MADV_HUGEPAGE). Fresh memory costs a page fault per 4 KiB page it is first written to (about 10 us each on the
/// 2-vCPU bench machine, under a hypervisor), and one per 2 MiB where the kernel has a huge page to give; elsewhere
/// (THP off, as in many capture kernels, or no huge page free) it is plain pages, as any buffer.
/// </summary>
/// <remarks>Spans over it must not outlive <see cref="Dispose"/>.</remarks>
internal sealed unsafe class HugePageBuffer : IDisposable
{
    private const long HugePage = 2 << 20;
    private byte* _map;              // the whole mapping (one huge page longer than asked, for the alignment)
    private readonly nuint _mapLength;
    private readonly byte* _base;    // its first 2 MiB boundary

    /// <summary>The usable length in bytes.</summary>
    public int Length { get; }

    /// <summary>The resident bytes the buffer can take at most: its length rounded up to whole huge pages.</summary>
    public static long ResidentBytes(long length) => (length + HugePage - 1) & ~(HugePage - 1);

    /// <summary>Maps length zeroed bytes; raises OutOfMemoryException when the kernel refuses the mapping.</summary>
    public HugePageBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        nuint size = (nuint)ResidentBytes(length);
        _mapLength = size + (nuint)HugePage;
        nint p = NativeMethods.Mmap(0, _mapLength, NativeMethods.ProtRead | NativeMethods.ProtWrite,
            NativeMethods.MapPrivate | NativeMethods.MapAnonymous, -1, 0);
        if (p == -1)
            throw new OutOfMemoryException($"cannot map {length} bytes of buffers");
        _map = (byte*)p;
        _base = (byte*)((p + (nint)(HugePage - 1)) & ~(nint)(HugePage - 1));
        // Only a hint: without THP the buffer is plain pages.
        _ = NativeMethods.Madvise((nint)_base, size, NativeMethods.MadvHugePage);
    }

    /// <summary>The bytes [offset, offset + length) of the buffer.</summary>
    public Span<byte> AsSpan(int offset, int length)
    {
        if (_map == null)
            throw new ObjectDisposedException(nameof(HugePageBuffer));
        if ((uint)offset > (uint)Length || (uint)length > (uint)(Length - offset))
            throw new ArgumentOutOfRangeException(nameof(offset));
        return new Span<byte>(_base + offset, length);
    }

    /// <summary>Unmaps the buffer.</summary>
    public void Dispose()
    {
        if (_map == null)
            return;
        _ = NativeMethods.Munmap((nint)_map, _mapLength);
        _map = null;
    }
}
