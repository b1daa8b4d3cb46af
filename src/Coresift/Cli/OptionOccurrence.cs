namespace Coresift.App.Cli;

/// <summary>One option as it appeared on the command line, in order.</summary>
/// <param name="Spec">The option.</param>
/// <param name="Argument">Its argument, or null when it takes none.</param>
internal readonly record struct OptionOccurrence(OptionSpec Spec, string? Argument);
