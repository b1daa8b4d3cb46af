using Coresift.Common;
using Microsoft.Win32.SafeHandles;

namespace Coresift.Output;

/// <summary>A dump file written with positional writes: created exclusively unless forced, optionally size-limited.</summary>
public sealed class FileOutputSink : IOutputSink
{
    private const int Enospc = 28;   // errno ENOSPC
    private const int Edquot = 122;  // errno EDQUOT
    private readonly SafeFileHandle _handle;
    private readonly long _limit;

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public long Length { get; private set; }

    private FileOutputSink(string path, SafeFileHandle handle, long limit)
    {
        Path = path;
        _handle = handle;
        _limit = limit;
    }

    /// <summary>Creates the dump file: an existing file is an error unless force is set (makedumpfile's O_EXCL and -f).</summary>
    public static FileOutputSink Create(string path, bool force, ulong? sizeLimit)
    {
        try
        {
            var handle = File.OpenHandle(path, force ? FileMode.Create : FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
            return new FileOutputSink(path, handle, sizeLimit is ulong l && l < long.MaxValue ? (long)l : long.MaxValue);
        }
        catch (IOException) when (!force && File.Exists(path))
        {
            throw new CoresiftException($"Can't open the dump file({path}). File exists");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CoresiftException($"Can't open the dump file({path}). {IoErrors.Describe(e)}");
        }
    }

    /// <inheritdoc />
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        if (offset + data.Length > _limit)
            throw new OutputFullException($"Can't write the dump file({Path}). Size limit({_limit}) reached.");
        try
        {
            RandomAccess.Write(_handle, data, offset);
        }
        catch (IOException e) when (e.HResult is Enospc or Edquot || e.Message.Contains("No space", StringComparison.OrdinalIgnoreCase))
        {
            throw new OutputFullException($"Can't write the dump file({Path}). No space left on device");
        }
        catch (IOException e)
        {
            throw new CoresiftException($"Can't write the dump file({Path}) at offset 0x{offset:x}. {IoErrors.Describe(e)}");
        }
        Length = Math.Max(Length, offset + data.Length);
    }

    /// <inheritdoc />
    public void Flush() => RandomAccess.FlushToDisk(_handle);

    /// <summary>Closes the file, and removes it when nothing was ever written (a run that failed before its first byte).</summary>
    public void Dispose()
    {
        bool empty = Length == 0 && !_handle.IsClosed;
        _handle.Dispose();
        if (empty)
        {
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
                // Best effort: an empty file is harmless.
            }
        }
    }
}
