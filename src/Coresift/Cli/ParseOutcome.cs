namespace Coresift.App.Cli;

/// <summary>
/// The result of parsing a command line: either options to run with, or text to print and an exit code.
/// Texts are complete (newline-terminated lines) and are meant to be written verbatim.
/// </summary>
public sealed record ParseOutcome
{
    private ParseOutcome(DumpOptions? options, int exitCode, string? stdoutText, string? stderrText)
    {
        Options = options;
        ExitCode = exitCode;
        StdoutText = stdoutText;
        StderrText = stderrText;
    }

    /// <summary>The options to run with, or null when the program should just print and exit.</summary>
    public DumpOptions? Options { get; }

    /// <summary>The process exit code when <see cref="Options"/> is null (0 success, 1 failure); 0 otherwise.</summary>
    public int ExitCode { get; }

    /// <summary>Text for stdout (help, version), or null.</summary>
    public string? StdoutText { get; }

    /// <summary>Text for stderr (diagnostics), or null.</summary>
    public string? StderrText { get; }

    /// <summary>True when the caller should perform the run described by <see cref="Options"/>.</summary>
    public bool ShouldRun => Options is not null;

    /// <summary>A valid command line to run.</summary>
    public static ParseOutcome Run(DumpOptions options) => new(options, 0, null, null);

    /// <summary>Print the given texts (either may be null or empty) and exit with the code.</summary>
    public static ParseOutcome Exit(int exitCode, string? stdoutText = null, string? stderrText = null)
        => new(null, exitCode, NullIfEmpty(stdoutText), NullIfEmpty(stderrText));

    /// <summary>Maps "" to null so callers only test for null.</summary>
    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
