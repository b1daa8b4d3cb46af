using Coresift.App.Cli;
using Coresift.Common;

namespace Coresift.App.Commands;

/// <summary>Turns a parsed command line into a command run, with makedumpfile's final lines and exit codes.</summary>
public static class CommandRunner
{
    /// <summary>Parses args, runs the chosen command, prints the outcome; returns the exit code.</summary>
    /// <param name="binaryOut">Where -F writes the flattened dump (the process's stdout when null).</param>
    /// <param name="binaryIn">Where -R reads the flattened dump (the process's stdin when null).</param>
    /// <param name="interrupt">Signals (or a test) that stop a dump cleanly: header, bitmaps and the incomplete flag are still written.</param>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Stream? binaryOut = null, Stream? binaryIn = null,
        DumpInterrupt? interrupt = null)
    {
        ParseOutcome outcome;
        try
        {
            outcome = CommandLineParser.Parse(args);
        }
        catch (Exception e)
        {
            stderr.WriteLine($"coresift: internal error while parsing the command line: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
        if (outcome.Options is not { } options)
        {
            if (outcome.StdoutText is { } o)
                stdout.Write(o);
            if (outcome.StderrText is { } e)
                stderr.Write(e);
            return outcome.ExitCode;
        }
        var sink = new MessageSink(options.MessageLevel, stdout, stderr, messagesToStderr: options.WritesToStdout);
        try
        {
            int rc = options.Mode switch
            {
                RunMode.Dump or RunMode.Flatten or RunMode.Split => new DumpCommand(options, sink, () => binaryOut ?? Console.OpenStandardOutput(), interrupt).Run(),
                RunMode.Dmesg => new DmesgCommand(options, sink, () => binaryOut ?? Console.OpenStandardOutput()).Run(),
                RunMode.Reassemble => new ReassembleCommand(options, sink).Run(),
                RunMode.Rearrange => new RearrangeCommand(options, sink, () => binaryIn ?? Console.OpenStandardInput()).Run(),
                _ => throw new CoresiftException($"{ModeName(options.Mode)} is not supported yet"),
            };
            sink.Info("");
            sink.Info(rc == 0 ? "coresift Completed." : "coresift Failed.");
            sink.Flush();
            return rc;
        }
        catch (Exception e)
        {
            // Every failure is one line on stderr and exit code 1: never a stack trace.
            string message = e is CoresiftException ? e.Message
                : e is OutOfMemoryException ? "out of memory"
                : $"internal error: {e.GetType().Name}: {e.Message}";
            sink.ErrorLine(message);
            sink.Info("");
            sink.Info("coresift Failed.");
            sink.Flush();
            return 1;
        }
    }

    /// <summary>A user-facing name of a mode, for "not supported yet" messages.</summary>
    private static string ModeName(RunMode mode) => mode switch
    {
        RunMode.Flatten => "flattened output (-F)",
        RunMode.Rearrange => "rearranging a flattened dump (-R)",
        RunMode.Split => "--split",
        RunMode.Reassemble => "--reassemble",
        RunMode.Dmesg => "--dump-dmesg",
        RunMode.MemUsage => "--mem-usage",
        RunMode.GenerateVmcoreinfo => "-g",
        _ => mode.ToString(),
    };
}
