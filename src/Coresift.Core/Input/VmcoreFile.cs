using System.IO.MemoryMappedFiles;
using Coresift.Common;
using Microsoft.Win32.SafeHandles;

namespace Coresift.Input;

/// <summary>A read-only input file: memory-mapped when the kernel allows it, positional reads otherwise.</summary>
public sealed unsafe class VmcoreFile : IFileSource, IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;   // null once disposed: later reads fail safely through the closed handle

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>The file's size in bytes.</summary>
    public long Length { get; }

    /// <summary>True when reads come from a memory mapping.</summary>
    public bool IsMapped => _base != null;

    private VmcoreFile(string path, SafeFileHandle handle, long length, bool tryMap)
    {
        Path = path;
        _handle = handle;
        Length = length;
        if (tryMap && length > 0)
        {
            try
            {
                _map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
                _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* p = null;
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                _base = p + _view.PointerOffset;
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

    /// <summary>Opens a file for reading only; mmap is tried unless <paramref name="noMmap"/>.</summary>
    public static VmcoreFile Open(string path, bool noMmap = false)
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
            length = RandomAccess.GetLength(handle);
        }
        catch (IOException e)
        {
            handle.Dispose();
            throw new CoresiftException($"Can't get the size of {path}. {IoErrors.Describe(e)}");
        }
        return new VmcoreFile(path, handle, length, !noMmap);
    }

    /// <summary>Reads exactly destination.Length bytes at offset, or raises a truncation error.</summary>
    public void ReadExactly(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset > Length || destination.Length > Length - offset)
            ThrowHelper.BadInput($"{Path} is truncated: {destination.Length} bytes at offset 0x{offset:x} lie beyond its end (0x{Length:x})");
        if (_base != null)
        {
            new ReadOnlySpan<byte>(_base + offset, destination.Length).CopyTo(destination);
            return;
        }
        int done = 0;
        while (done < destination.Length)
        {
            int n;
            try
            {
                n = RandomAccess.Read(_handle, destination[done..], offset + done);
            }
            catch (IOException e)
            {
                throw new CoresiftException($"Can't read the dump memory({Path}) at offset 0x{offset + done:x}. {IoErrors.Describe(e)}");
            }
            if (n == 0)
                ThrowHelper.BadInput($"{Path} is truncated at offset 0x{offset + done:x}");
            done += n;
        }
    }

    /// <summary>Returns a span over the mapped bytes, or false when the file is not mapped.</summary>
    public bool TryGetSpan(long offset, int length, out ReadOnlySpan<byte> span)
    {
        if (_base == null || offset < 0 || length < 0 || offset > Length || length > Length - offset)
        {
            span = default;
            return false;
        }
        span = new ReadOnlySpan<byte>(_base + offset, length);
        return true;
    }

    /// <summary>Lets the kernel take back the mapped pages of [offset, offset + length) (they fault in again if read later).</summary>
    /// <remarks>Keeps the resident set small while a dump streams through a large /proc/vmcore.</remarks>
    public void Release(long offset, long length)
    {
        if (_base == null || length <= 0 || offset < 0 || offset >= Length)
            return;
        const long page = 4096;
        long start = (offset + page - 1) & ~(page - 1);
        long end = Math.Min(offset + length, Length) & ~(page - 1);
        if (end <= start)
            return;
        _ = NativeMethods.Madvise((nint)(_base + start), (nuint)(end - start), NativeMethods.MadvDontNeed);
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
        _handle.Dispose();
    }
}
