using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Coresift.Common;
using Microsoft.Win32.SafeHandles;

namespace Coresift.Input;

/// <summary>A read-only input file: memory-mapped when the kernel allows it, positional reads otherwise.</summary>
/// <remarks>
/// I/O errors cost only the file pages that fail. Page data is read with <see cref="ReadOrZero"/>: a failing read is
/// retried page by page, the bad pages are zero-filled and recorded in <see cref="Errors"/>. Through the mapping, a bad
/// page would raise SIGBUS (fatal to the process), so each window (64 KiB to 1 MiB) is faulted in with MADV_POPULATE_READ before its
/// first use: an error there makes the window be read page by page with pread to find the bad pages, which are then
/// never touched through the mapping. Kernels without MADV_POPULATE_READ (before 5.14) keep the old behaviour.
/// </remarks>
public sealed unsafe class VmcoreFile : IFileSource, IDisposable
{
    /// <summary>Granularity of lost ranges: file pages.</summary>
    public const int FilePage = 4096;

    private const int UnitShift = 16;           // populated state is kept per 64 KiB (the kernel's fault-around size)
    private const int MaxWindowUnits = 16;      // sequential reads populate up to 1 MiB at once (more maps pages never read)
    private const int BlockShift = 14;          // units per lazily allocated block of the state (1 GiB of file)
    private const long ReleaseBlock = 2 << 20;  // pages are dropped from the mapping a whole 2 MiB (a PMD's reach) at a time

    private readonly SafeFileHandle _handle;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;   // null once disposed: later reads fail safely through the closed handle
    private readonly Func<long, long, bool>? _failing;   // tests: [offset, offset + length) fails like a bad disk
    private readonly ulong[]?[]? _populated;             // per unit, bit set: populated (or its bad pages found)
    private readonly object _populateLock = new();
    // Each reading thread is its own sequential stream (parallel writers each read their own stretch of pages).
    private readonly ThreadLocal<ReadStream> _streams = new(() => new ReadStream());
    private volatile bool _populate;
    private int _falseAlarms;
    private readonly object _releaseLock = new();
    private readonly Dictionary<long, ulong[]> _partlyReleased = [];   // 2 MiB blocks with some pages released: which

    /// <summary>The input ranges that failed with an I/O error so far.</summary>
    public InputErrorLog Errors { get; } = new();

    // Windows whose population failed while pread read them fine (a hole of a file on a full tmpfs, say): they are
    // always read with pread, never through the mapping, which would raise SIGBUS there.
    private readonly InputErrorLog _preadOnly = new();

    /// <summary>True while windows of the mapping are populated (and checked) before use.</summary>
    public bool PopulatesWindows => _populate;

    /// <summary>Windows whose population failed, which were then read page by page.</summary>
    public int WindowsScanned { get; private set; }

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>The file's size in bytes.</summary>
    public long Length { get; }

    /// <summary>True when reads come from a memory mapping.</summary>
    public bool IsMapped => _base != null;

    /// <summary>True when the file is on procfs (/proc/vmcore): each read(2) of it copies the crashed kernel's memory a
    /// page at a time through a temporary kernel mapping, so its own mapping serves bulk reads (<see cref="ReadDirect"/>).</summary>
    public bool OnProcfs { get; }

    private VmcoreFile(string path, SafeFileHandle handle, long length, bool tryMap, Func<long, long, bool>? failing)
    {
        _failing = failing;
        Path = path;
        _handle = handle;
        Length = length;
        OnProcfs = IsOnProcfs(handle);
        if (tryMap && length > 0)
        {
            try
            {
                _map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
                _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* p = null;
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                _base = p + _view.PointerOffset;
                _populated = new ulong[]?[((length - 1) >> (UnitShift + BlockShift)) + 1];
                _populate = true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                _view?.Dispose();
                _map?.Dispose();
                _view = null;
                _map = null;
                _base = null;
            }
        }
    }

    /// <summary>True when fstatfs says the file lies on procfs.</summary>
    private static bool IsOnProcfs(SafeFileHandle handle)
    {
        byte* buf = stackalloc byte[256];   // struct statfs is 120 bytes on x86_64 and arm64
        return NativeMethods.Fstatfs(handle, buf) == 0 && *(long*)buf == NativeMethods.ProcSuperMagic;
    }

    /// <summary>Opens a file for reading only; mmap is tried unless <paramref name="noMmap"/>.</summary>
    public static VmcoreFile Open(string path, bool noMmap = false) => Open(path, noMmap, null);

    /// <summary>Opens a file; failing (tests) makes reads and populations of the ranges it names fail with EIO.</summary>
    internal static VmcoreFile Open(string path, bool noMmap, Func<long, long, bool>? failing)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CoresiftException($"Can't open the dump memory({path}). {IoErrors.Describe(e)}");
        }
        long length;
        try
        {
            length = LengthOf(handle);
        }
        catch (IOException e)
        {
            handle.Dispose();
            throw new CoresiftException($"Can't get the size of {path}. {IoErrors.Describe(e)}");
        }
        return new VmcoreFile(path, handle, length, !noMmap, failing);
    }

    /// <summary>The size of an open file; for a block device (whose st_size is 0) the device's size.</summary>
    /// <remarks>
    /// A block device is mapped by the runtime only when st_size says it has bytes, so it is read with pread. Whatever
    /// lseek cannot measure (a pipe, a character device) keeps the size fstat gives.
    /// </remarks>
    internal static long LengthOf(SafeFileHandle handle)
    {
        long length = RandomAccess.GetLength(handle);
        if (length == 0)
        {
            long end = NativeMethods.Lseek(handle, 0, NativeMethods.SeekEnd);
            if (end > 0)
                length = end;
        }
        return length;
    }

    /// <summary>The size of the file at path (see <see cref="LengthOf(SafeFileHandle)"/>); raises IOException and the like when it cannot be opened.</summary>
    public static long LengthOf(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return LengthOf(handle);
    }

    /// <summary>Reads exactly destination.Length bytes at offset, or raises a one-line error (truncation or I/O error).</summary>
    /// <remarks>For headers and notes, which the dump cannot do without.</remarks>
    public void ReadExactly(long offset, Span<byte> destination)
    {
        CheckBounds(offset, destination.Length);
        if (_base != null)
        {
            Prepare(offset, destination.Length);
            if (Errors.Intersects(offset, destination.Length))
                throw Unreadable(FirstLost(offset, destination.Length), Errors.FirstReason);
            if (!_preadOnly.Intersects(offset, destination.Length))
            {
                new ReadOnlySpan<byte>(_base + offset, destination.Length).CopyTo(destination);
                return;
            }
        }
        if (Errors.Intersects(offset, destination.Length))
            throw Unreadable(FirstLost(offset, destination.Length), Errors.FirstReason);
        try
        {
            PRead(offset, destination);
        }
        catch (IOException e)
        {
            throw Unreadable(offset, Reason(e));
        }
    }

    /// <summary>
    /// Reads destination.Length bytes at offset; file pages that fail with an I/O error are zero-filled and recorded in
    /// <see cref="Errors"/>. Returns false when some bytes were lost. Raises only for reads past the end of the file.
    /// </summary>
    public bool ReadOrZero(long offset, Span<byte> destination) => Read(offset, destination, mapped: true);

    /// <summary>
    /// As <see cref="ReadOrZero"/>, but with pread, not through the mapping: for long runs of page data read once by
    /// several threads, which then cost no page-table work (faulting a window in, dropping it after) and do not contend
    /// for the process's memory map. On procfs (<see cref="OnProcfs"/>) the mapping serves them as ReadOrZero does.
    /// </summary>
    public bool ReadDirect(long offset, Span<byte> destination) => Read(offset, destination, mapped: OnProcfs);

    /// <summary>ReadOrZero's work; mapped: through the mapping where there is one and the bytes are safe to touch there.</summary>
    private bool Read(long offset, Span<byte> destination, bool mapped)
    {
        CheckBounds(offset, destination.Length);
        mapped &= _base != null;
        if (mapped)
            Prepare(offset, destination.Length);
        if (!Errors.Intersects(offset, destination.Length))
        {
            if (mapped && !_preadOnly.Intersects(offset, destination.Length))
            {
                new ReadOnlySpan<byte>(_base + offset, destination.Length).CopyTo(destination);
                return true;
            }
            try
            {
                PRead(offset, destination);
                return true;
            }
            catch (IOException)
            {
                // Find the bad pages one by one below.
            }
        }
        bool whole = true;
        long end = offset + destination.Length;
        for (long at = offset; at < end;)
        {
            long next = Math.Min(end, (at & ~(long)(FilePage - 1)) + FilePage);
            if (!ReadPage(at, destination.Slice((int)(at - offset), (int)(next - at)), mapped))
                whole = false;
            at = next;
        }
        return whole;
    }

    /// <summary>Reads part of one file page (zeros, and false, when the page is lost); mapped: through the mapping when
    /// there is one and the page is safe to touch there.</summary>
    private bool ReadPage(long at, Span<byte> part, bool mapped)
    {
        if (Errors.Intersects(at, part.Length))
        {
            part.Clear();
            return false;
        }
        if (mapped && _base != null && !_preadOnly.Intersects(at, part.Length))
        {
            // Only windows whose population succeeded, or whose bad pages are known, get here: the page is safe to touch.
            new ReadOnlySpan<byte>(_base + at, part.Length).CopyTo(part);
            return true;
        }
        try
        {
            PRead(at, part);
            return true;
        }
        catch (IOException e)
        {
            long page = at & ~(long)(FilePage - 1);
            Errors.Add(page, Math.Min(FilePage, Length - page), Reason(e));
            part.Clear();
            return false;
        }
    }

    /// <summary>pread until done; raises IOException on an I/O error and a bad-input error at an early end of file.</summary>
    private void PRead(long offset, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            var chunk = destination[done..];
            if (_failing?.Invoke(offset + done, chunk.Length) == true)
                throw new IOException("Input/output error", NativeMethods.Eio);
            int n = RandomAccess.Read(_handle, chunk, offset + done);
            if (n == 0)
                ThrowHelper.BadInput($"{Path} is truncated at offset 0x{offset + done:x}");
            done += n;
        }
    }

    /// <summary>The error's reason without the path the runtime appends (" : 'path'"), for per-range warnings.</summary>
    private static string Reason(IOException e)
    {
        string text = IoErrors.Describe(e);
        int cut = text.IndexOf(" : '", StringComparison.Ordinal);
        return cut > 0 ? text[..cut] : text;
    }

    private void CheckBounds(long offset, int length)
    {
        if (offset < 0 || offset > Length || length > Length - offset)
            ThrowHelper.BadInput($"{Path} is truncated: {length} bytes at offset 0x{offset:x} lie beyond its end (0x{Length:x})");
    }

    private CoresiftException Unreadable(long offset, string? reason) =>
        new($"Can't read the dump memory({Path}) at offset 0x{offset:x}. {reason ?? "Input/output error"}");

    /// <summary>The first lost byte of [offset, offset + length) (the start of the query when the loss begins before it).</summary>
    private long FirstLost(long offset, int length)
    {
        foreach (var r in Errors.Ranges)
            if (r.End > offset && r.Offset < offset + length)
                return Math.Max(r.Offset, offset);
        return offset;
    }

    /// <summary>Makes sure every 64 KiB unit that [offset, offset + length) touches was populated or scanned for bad pages
    /// (one population for the whole range when none of it was).</summary>
    private void Prepare(long offset, long length)
    {
        if (_base == null || offset < 0 || length <= 0 || offset >= Length)
            return;
        length = Math.Min(length, Length - offset);
        if (!_populate || length <= 0)
            return;
        long first = offset >> UnitShift, last = (offset + length - 1) >> UnitShift;
        for (long u = first; u <= last; u++)
        {
            if (!IsPopulated(u))
            {
                Populate(u, last);
                return;   // the window covers the rest of the request
            }
        }
    }

    private bool IsPopulated(long unit)
    {
        var block = Volatile.Read(ref _populated![unit >> BlockShift]);
        long i = unit & ((1L << BlockShift) - 1);
        return block is not null && (Volatile.Read(ref block[i >> 6]) & (1UL << (int)(i & 63))) != 0;
    }

    /// <summary>Sets or clears the populated bits of units [first, end) (atomically; readers take no lock).</summary>
    private void MarkPopulated(long first, long end, bool value)
    {
        for (long u = first; u < end; u++)
        {
            ref ulong[]? slot = ref _populated![u >> BlockShift];
            var block = Volatile.Read(ref slot);
            if (block is null)
            {
                if (!value)
                {
                    u = ((u >> BlockShift) + 1 << BlockShift) - 1;
                    continue;
                }
                Interlocked.CompareExchange(ref slot, new ulong[(1 << BlockShift) / 64], null);
                block = Volatile.Read(ref slot)!;
            }
            long i = u & ((1L << BlockShift) - 1);
            ulong bit = 1UL << (int)(i & 63);
            if (value)
                Interlocked.Or(ref block[i >> 6], bit);
            else
                Interlocked.And(ref block[i >> 6], ~bit);
        }
    }

    /// <summary>
    /// Faults units in with MADV_POPULATE_READ, from unit up to at least lastNeeded, more (up to 1 MiB) while this thread's reads are
    /// sequential, as readahead does. The common case takes no lock (populating twice is harmless); on failure the
    /// window is read page by page with pread, under the lock, to find the bad pages.
    /// </summary>
    private void Populate(long unit, long lastNeeded)
    {
        // Two threads may populate the same window; both results are correct.
        var stream = _streams.Value!;
        int units = unit == stream.NextUnit ? Math.Min(stream.WindowUnits * 2, MaxWindowUnits) : 1;
        stream.WindowUnits = units;
        long lastUnit = (Length - 1) >> UnitShift;
        long end = Math.Min(Math.Max(unit + units, lastNeeded + 1), lastUnit + 1);
        stream.NextUnit = end;
        long start = unit << UnitShift;
        long length = Math.Min(end << UnitShift, Length) - start;
        int error = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (_failing is not null)
                error = _failing(start, length) ? NativeMethods.Eio : 0;
            else
                error = NativeMethods.Madvise((nint)(_base + start), (nuint)length, NativeMethods.MadvPopulateRead) == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (error is not (NativeMethods.Eintr or NativeMethods.Eagain))
                break;
        }
        if (error == 0)
        {
            MarkPopulated(unit, end, true);
            return;
        }
        lock (_populateLock)
        {
            switch (error)
            {
                case NativeMethods.Efault or NativeMethods.Eio or NativeMethods.Ehwpoison:
                    WindowsScanned++;
                    if (!ScanWindow(start, length))
                    {
                        if (Path.StartsWith("/proc/", StringComparison.Ordinal))
                        {
                            // Population fails where pread finds nothing wrong on a PFN mapping such as /proc/vmcore's,
                            // where a bad page cannot raise SIGBUS anyway: populating does not help on this file.
                            if (++_falseAlarms >= 2 && !Errors.Any)
                                _populate = false;
                        }
                        else
                        {
                            // A file the kernel cannot map there (a hole on a full tmpfs): read that window with pread.
                            _preadOnly.Add(start, length, "population failed");
                        }
                    }
                    break;
                default:
                    // EINVAL or ENOSYS: a kernel before 5.14; anything else: give up populating (the old behaviour).
                    _populate = false;
                    break;
            }
            MarkPopulated(unit, end, true);
        }
    }

    /// <summary>One thread's read position: the unit after its last window, and that window's size in units.</summary>
    private sealed class ReadStream
    {
        /// <summary>The unit after the last window this thread populated (a read there continues the stream).</summary>
        public long NextUnit = -1;

        /// <summary>The last window's size, doubled while the thread's reads stay sequential.</summary>
        public int WindowUnits = 1;
    }

    /// <summary>Reads every page of a window with pread, recording the bad ones; true when some page was bad.</summary>
    private bool ScanWindow(long start, long length)
    {
        var buf = new byte[FilePage];
        bool bad = false;
        for (long at = start; at < start + length; at += FilePage)
        {
            int n = (int)Math.Min(FilePage, start + length - at);
            if (Errors.Intersects(at, n))
            {
                bad = true;
                continue;
            }
            try
            {
                PRead(at, buf.AsSpan(0, n));
            }
            catch (IOException e)
            {
                Errors.Add(at, n, Reason(e));
                bad = true;
            }
        }
        return bad;
    }

    /// <summary>Returns a span over the mapped bytes, or false when the file is not mapped or the range holds lost bytes.</summary>
    public bool TryGetSpan(long offset, int length, out ReadOnlySpan<byte> span)
    {
        if (_base == null || offset < 0 || length < 0 || offset > Length || length > Length - offset)
        {
            span = default;
            return false;
        }
        Prepare(offset, length);
        if (Errors.Intersects(offset, length) || _preadOnly.Intersects(offset, length))
        {
            span = default;
            return false;
        }
        span = new ReadOnlySpan<byte>(_base + offset, length);
        return true;
    }

    /// <summary>Lets the kernel take back the mapped pages of [offset, offset + length) (they fault in again if read later).</summary>
    /// <remarks>
    /// Keeps the resident set and the page tables small while a dump streams through a large /proc/vmcore. Pages are
    /// dropped a whole 2 MiB block of the mapping at a time, once every page of the block was released: a page cache
    /// mapped by 2 MiB entries (large folios) loses the whole entry when any part of it is dropped, so dropping a part
    /// made every other page of the block fault in again, one fault at a time, while it was still being read.
    /// </remarks>
    public void Release(long offset, long length)
    {
        if (_base == null || length <= 0 || offset < 0 || offset >= Length)
            return;
        // Every file page the range touches counts as released: the pages of a dump's segments need not start on a file
        // page (a QEMU core's data starts 0x558 bytes into one), so a page is shared by two neighbouring ranges. Counting
        // only whole pages, a block with such a page was never complete and never dropped. A block is dropped once all
        // of its pages are counted, by then both neighbours of a shared page are done with it (or it faults in again).
        long start = offset & ~(long)(FilePage - 1);
        long end = (Math.Min(offset + length, Length) + FilePage - 1) & ~(long)(FilePage - 1);
        // Blocks are 2 MiB of the mapping's addresses (the mapping need not start on a block).
        long shift = (long)((nuint)_base & (ReleaseBlock - 1));
        long fileEnd = (Length + FilePage - 1) & ~(long)(FilePage - 1);
        lock (_releaseLock)
        {
            // Complete blocks next to each other are dropped with one call: each drop interrupts the other threads
            // reading the input (a TLB shootdown), which a block at a time made 3% of a 2-thread -l -d 0 dump.
            long dropFrom = 0, dropTo = 0;
            for (long at = start; at < end;)
            {
                long blockStart = ((at + shift) & ~(long)(ReleaseBlock - 1)) - shift;
                long blockEnd = blockStart + ReleaseBlock;
                long to = Math.Min(end, blockEnd);
                long first = Math.Max(blockStart, 0), last = Math.Min(blockEnd, fileEnd);
                bool complete;
                if (at == first && to == last)
                {
                    _partlyReleased.Remove(blockStart);
                    complete = true;
                }
                else
                {
                    if (!_partlyReleased.TryGetValue(blockStart, out ulong[]? pages))
                        _partlyReleased[blockStart] = pages = new ulong[ReleaseBlock / FilePage / 64];
                    for (long page = (at - blockStart) / FilePage; page < (to - blockStart) / FilePage; page++)
                        pages[page >> 6] |= 1UL << (int)(page & 63);
                    complete = AllReleased(pages, (first - blockStart) / FilePage, (last - blockStart) / FilePage);
                    if (complete)
                        _partlyReleased.Remove(blockStart);
                }
                if (complete)
                {
                    if (dropTo != first)
                    {
                        if (dropTo > dropFrom)
                            Drop(dropFrom, dropTo - dropFrom);
                        dropFrom = first;
                    }
                    dropTo = last;
                }
                at = to;
            }
            if (dropTo > dropFrom)
                Drop(dropFrom, dropTo - dropFrom);
        }
    }

    /// <summary>True when pages [from, to) of a block are all marked released.</summary>
    private static bool AllReleased(ulong[] pages, long from, long to)
    {
        for (long page = from; page < to; page++)
            if ((pages[page >> 6] & (1UL << (int)(page & 63))) == 0)
                return false;
        return true;
    }

    /// <summary>Bytes dropped from the mapping so far (whole 2 MiB blocks, less what lies outside the file).</summary>
    internal long DroppedBytes { get; private set; }

    /// <summary>Drops [start, start + length) from the mapping; units wholly dropped must be populated (checked) again before use.</summary>
    private void Drop(long start, long length)
    {
        DroppedBytes += length;
        _ = NativeMethods.Madvise((nint)(_base + start), (nuint)length, NativeMethods.MadvDontNeed);
        if (_populate)
        {
            long end = start + length;
            long firstUnit = (start + (1L << UnitShift) - 1) >> UnitShift;
            long endUnit = end >= Length ? (end + (1L << UnitShift) - 1) >> UnitShift : end >> UnitShift;
            endUnit = Math.Min(endUnit, ((Length - 1) >> UnitShift) + 1);
            if (endUnit > firstUnit)
                MarkPopulated(firstUnit, endUnit, false);
        }
    }

    /// <summary>Unmaps and closes the file.</summary>
    public void Dispose()
    {
        _base = null;
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
        _streams.Dispose();
        _handle.Dispose();
    }
}
