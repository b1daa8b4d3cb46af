using Coresift.App.Commands;

namespace Coresift.App;

/// <summary>The coresift executable: parses makedumpfile's command line and hands it to a command. Nothing else.</summary>
public static class Program
{
    /// <summary>Process entry point.</summary>
    public static int Main(string[] args)
    {
        // SIGTERM/SIGINT/SIGHUP during a dump: finish the header and bitmaps, mark the dump incomplete, exit 1.
        using var interrupt = DumpInterrupt.FromSignals();
        return CommandRunner.Run(args, Console.Out, Console.Error, interrupt: interrupt);
    }
}
