namespace Coresift.Tests.Cli;

/// <summary>Turns a test's command line into argv: split on spaces, '' stands for an empty argument.</summary>
internal static class CliArgs
{
    /// <summary>Splits a command line written in a test table.</summary>
    public static string[] Of(string line)
        => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a == "''" ? string.Empty : a).ToArray();
}
