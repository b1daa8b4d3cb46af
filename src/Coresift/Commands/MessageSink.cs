namespace Coresift.App.Commands;

/// <summary>makedumpfile's message classes, filtered by --message-level and routed to stdout or stderr.</summary>
public sealed class MessageSink(int level, TextWriter stdout, TextWriter stderr, bool messagesToStderr)
{
    /// <summary>Progress indicator (bit 1).</summary>
    public const int Progress = 1;
    /// <summary>Common messages (bit 2).</summary>
    public const int Common = 2;
    /// <summary>Error messages (bit 4).</summary>
    public const int Error = 4;
    /// <summary>Debug messages (bit 8).</summary>
    public const int Debug = 8;
    /// <summary>Report messages (bit 16).</summary>
    public const int Report = 16;

    private TextWriter Out => messagesToStderr ? stderr : stdout;

    /// <summary>Where the progress line goes: always stderr.</summary>
    public TextWriter ProgressWriter => stderr;

    /// <summary>True when the class is enabled.</summary>
    public bool Enabled(int cls) => (level & cls) != 0;

    /// <summary>A common message line.</summary>
    public void Info(string line)
    {
        if (Enabled(Common))
            Out.WriteLine(line);
    }

    /// <summary>A debug message line.</summary>
    public void DebugLine(string line)
    {
        if (Enabled(Debug))
            Out.WriteLine(line);
    }

    /// <summary>Report text (written as is).</summary>
    public void ReportText(string text)
    {
        if (Enabled(Report))
            Out.Write(text);
    }

    /// <summary>An error line on stderr: always one line, prefixed with the program name.</summary>
    public void ErrorLine(string message)
    {
        if (Enabled(Error))
            stderr.WriteLine("coresift: " + message.ReplaceLineEndings(" "));
    }

    /// <summary>A warning: a common message on the message stream.</summary>
    public void Warning(string line) => Info(line);

    /// <summary>Flushes both streams.</summary>
    public void Flush()
    {
        stdout.Flush();
        stderr.Flush();
    }
}
