namespace Coresift.App.Cli;

/// <summary>makedumpfile's command-line messages, with coresift as the program name.</summary>
internal static class Messages
{
    /// <summary>The program name used in every message.</summary>
    public const string ProgramName = "coresift";

    /// <summary>The generic rejection line.</summary>
    public const string InvalidCommandLine = "Commandline parameter is invalid.";

    /// <summary>The hint printed after <see cref="InvalidCommandLine"/>.</summary>
    public const string TryHelp = "Try `" + ProgramName + " --help' for more information.";

    /// <summary>The final line of a failed run.</summary>
    public const string Failed = ProgramName + " Failed.";

    /// <summary>The two lines of a rejected command line.</summary>
    public static readonly IReadOnlyList<string> Invalid = [InvalidCommandLine, TryHelp];

    /// <summary>makedumpfile's message for a dump level outside 0-31 (or, in coresift, not a number).</summary>
    public static string InvalidDumpLevel(string level) => $"Dump_level({level}) is invalid.";

    /// <summary>makedumpfile's message for more than 32 dump levels (coresift also uses it for an empty list).</summary>
    public const string InvalidDumpLevelList = "Dump_level is invalid.";

    /// <summary>makedumpfile's message for a message level outside 0-31 (or, in coresift, not a number).</summary>
    public static string InvalidMessageLevel(string level) => $"Message_level({level}) is invalid.";

    /// <summary>makedumpfile's message for a bad -L size.</summary>
    public static string InvalidSizeLimit(string size) => $"Limit size({size}) is invalid.";

    /// <summary>coresift's message, in makedumpfile's style, for a numeric argument that is not valid.</summary>
    public static string InvalidValue(string name, string value) => $"{name}({value}) is invalid.";

    /// <summary>makedumpfile: --dry-run together with --dump-dmesg.</summary>
    public const string DryRunWithDmesg = "--dry-run cannot be used with --dump-dmesg.";

    /// <summary>makedumpfile: --dry-run together with --reassemble.</summary>
    public const string DryRunWithReassemble = "--dry-run cannot be used with --reassemble.";

    /// <summary>makedumpfile: --dry-run together with -g.</summary>
    public const string DryRunWithGenerate = "--dry-run cannot be used with -g.";

    /// <summary>makedumpfile: -e without --work-dir.</summary>
    public const string VmemmapNeedsWorkDir = "-e requires --work-dir";

    /// <summary>makedumpfile: -E together with --split.</summary>
    public const string SplitWithElf = "Options for splitting dumpfile cannot be used with Elf format.";

    /// <summary>coresift's one-line refusal of an option it does not implement yet.</summary>
    public static string NotSupported(string option) => $"{ProgramName}: option '{option}' is not supported yet";

    /// <summary>A getopt diagnostic with the program name, e.g. "coresift: unrecognized option '--foo'".</summary>
    public static string Getopt(string diagnostic) => $"{ProgramName}: {diagnostic}";
}
