namespace Coresift.Kernel.Dmesg;

/// <summary>What one log extraction produced: the bytes makedumpfile would write, and why it stopped early, if it did.</summary>
public sealed class KernelLogResult
{
    /// <summary>The log file's contents.</summary>
    public required byte[] Text { get; init; }

    /// <summary>The format the log was read in.</summary>
    public required KernelLogFormat Format { get; init; }

    /// <summary>Why the output stops early (a corrupt log), one line per fact; null when the whole log was read.</summary>
    public string? Warning { get; init; }
}
