namespace Coresift.App.Cli;

/// <summary>One result of <see cref="GetoptScanner.Next"/>: an option, a getopt error, or the end of the options.</summary>
internal readonly record struct ScanStep
{
    /// <summary>The option found, or null for an error or the end.</summary>
    public OptionSpec? Option { get; private init; }

    /// <summary>The option's argument (may be empty), or null when it takes none.</summary>
    public string? Argument { get; private init; }

    /// <summary>getopt's diagnostic (without the program name prefix), or null.</summary>
    public string? Error { get; private init; }

    /// <summary>True when every argument has been consumed.</summary>
    public bool IsEnd => Option is null && Error is null;

    /// <summary>An option occurrence.</summary>
    public static ScanStep Found(OptionSpec option, string? argument) => new() { Option = option, Argument = argument };

    /// <summary>A getopt error such as "unrecognized option '--foo'".</summary>
    public static ScanStep Failed(string error) => new() { Error = error };

    /// <summary>No more options.</summary>
    public static ScanStep End => default;
}
