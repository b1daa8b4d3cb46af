namespace Coresift.App.Cli;

/// <summary>How one option is spelled on the command line and whether coresift implements it.</summary>
/// <param name="Id">Which option this is.</param>
/// <param name="ShortName">The single-letter form (getopt short option), if any.</param>
/// <param name="LongName">The long form without the leading dashes, if any.</param>
/// <param name="TakesArgument">True when the option requires an argument.</param>
/// <param name="Supported">False for options coresift refuses with "not supported yet".</param>
internal sealed record OptionSpec(OptionId Id, char? ShortName, string? LongName, bool TakesArgument, bool Supported)
{
    /// <summary>The name shown in messages and used as the System.CommandLine alias: "-x" or "--long".</summary>
    public string DisplayName => ShortName is { } c ? "-" + c : "--" + LongName;
}
