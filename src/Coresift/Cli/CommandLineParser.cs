namespace Coresift.App.Cli;

/// <summary>
/// Parses a makedumpfile-compatible command line. Steps, in makedumpfile's order:
/// getopt walk (stops at the first getopt error or bad -d/-L/--message-level), -h, -v,
/// options coresift does not support yet, argument binding, mode and combination checks, --check-params.
/// </summary>
public static class CommandLineParser
{
    /// <summary>Parses the arguments (without the program name) into options to run, or text to print and an exit code.</summary>
    public static ParseOutcome Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var loop = OptionLoop.Run(args);
        if (loop.Failure is { } failure)
        {
            return failure;
        }

        if (loop.Has(OptionId.Help))
        {
            return ParseOutcome.Exit(0, stdoutText: HelpText.Text);
        }

        if (loop.Has(OptionId.Version))
        {
            return ParseOutcome.Exit(0, stdoutText: VersionText.Text);
        }

        if (loop.UnsupportedOptions() is [var unsupported, ..])
        {
            return ParseOutcome.Exit(1, stderrText: Messages.NotSupported(unsupported) + "\n");
        }

        if (!OptionBinder.TryBind(loop, out var options, out var bindErrors))
        {
            return loop.Fail(bindErrors);
        }

        if (ModeValidator.Validate(options) is { } invalid)
        {
            return loop.Fail(invalid);
        }

        return options.CheckParams ? ParseOutcome.Exit(0) : ParseOutcome.Run(options);
    }
}
