using Coresift.Common;

namespace Coresift.Kernel.Dmesg;

/// <summary>--dump-dmesg: the crashed kernel's log, read from its memory and written as makedumpfile 1.7.2 writes it.</summary>
public static class KernelLog
{
    /// <summary>Largest log buffer or text data ring believed (1 GiB; the kernel's log_buf_len= rarely exceeds tens of MiB).</summary>
    public const ulong MaxLogBufferBytes = 1UL << 30;

    /// <summary>The message makedumpfile adds when it stops at a corrupt log.</summary>
    public const string CorruptedMessage = "The printk log_buf is most likely corrupted.";

    /// <summary>Chooses the log format as makedumpfile does: prb first, then log_buf with log_end (pre-3.5) or without (records).</summary>
    public static KernelLogFormat DetectFormat(VmcoreInfo info)
    {
        if (info.Symbol("prb") is not null)
            return KernelLogFormat.PrintkRingbuffer;
        if (info.Symbol("log_buf") is null || info.Symbol("log_buf_len") is null)
            ThrowHelper.BadInput("VMCOREINFO has neither SYMBOL(prb) nor SYMBOL(log_buf) and SYMBOL(log_buf_len): the kernel log cannot be found");
        return info.Symbol("log_end") is null ? KernelLogFormat.PrintkLog : KernelLogFormat.PlainBuffer;
    }

    /// <summary>Reads the log into memory; partial = only the records after the last "dmesg -c" (--partial-dmesg).</summary>
    public static KernelLogResult Extract(VmcoreInfo info, IKernelMemory mem, bool partial)
    {
        using var ms = new MemoryStream();
        var (format, warning) = Write(info, mem, partial, ms, Array.MaxLength);
        return new KernelLogResult { Text = ms.ToArray(), Format = format, Warning = warning };
    }

    /// <summary>Writes the log to a stream; returns the format and the warning for a log cut short by corruption (null otherwise).</summary>
    /// <remarks>Missing VMCOREINFO entries and unreadable log variables raise <see cref="BadInputException"/>; what was written stays written.</remarks>
    public static (KernelLogFormat Format, string? Warning) Write(VmcoreInfo info, IKernelMemory mem, bool partial, Stream output) =>
        Write(info, mem, partial, output, long.MaxValue);

    /// <summary>Writes the log with an output cap (an in-memory result cannot exceed an array).</summary>
    private static (KernelLogFormat Format, string? Warning) Write(VmcoreInfo info, IKernelMemory mem, bool partial, Stream output, long maxBytes)
    {
        var format = DetectFormat(info);
        using var writer = new LogTextWriter(output);
        writer.Cap(maxBytes);
        string? warning = format switch
        {
            KernelLogFormat.PrintkRingbuffer => PrintkRingbuffer.Write(info, mem, partial, writer),
            KernelLogFormat.PrintkLog => PrintkLogRecords.Write(info, mem, partial, writer),
            _ => PlainLogBuffer.Write(info, mem, writer),
        };
        return (format, warning);
    }
}
