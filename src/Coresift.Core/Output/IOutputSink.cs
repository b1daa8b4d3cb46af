namespace Coresift.Output;

/// <summary>Where a dump's bytes go: a seekable file, or a flattened stream. Writes name their absolute file offset.</summary>
public interface IOutputSink : IDisposable
{
    /// <summary>Writes data at offset of the (logical) dump file; throws <see cref="OutputFullException"/> on ENOSPC or -L.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>Pushes buffered bytes to the device.</summary>
    void Flush();

    /// <summary>The highest offset written so far (the logical file size).</summary>
    long Length { get; }
}

/// <summary>The output device is full, or the -L size limit was reached.</summary>
public class OutputFullException(string message) : Common.CoresiftException(message);

/// <summary>The run was interrupted (SIGTERM, SIGINT, SIGHUP): the writer stops as on a full device, and the dump is marked incomplete.</summary>
public sealed class OutputInterruptedException(string message) : OutputFullException(message);
