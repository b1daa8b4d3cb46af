using System.Reflection;

namespace Coresift.App.Cli;

/// <summary>The -v output: program version, the command line it follows, and the compression codecs built in.</summary>
internal static class VersionText
{
    /// <summary>Used when the assembly carries no informational version.</summary>
    private const string FallbackVersion = "0.1.0";

    /// <summary>Characters of a "+commit" build suffix kept in the version shown.</summary>
    private const int CommitLength = 12;

    /// <summary>The version of this build from AssemblyInformationalVersion, e.g. "0.1.0" or "0.1.0+0123456789ab".</summary>
    public static string Version => Shorten(
        typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? FallbackVersion);

    /// <summary>The full text printed by -v.</summary>
    public static string Text =>
        $"{Messages.ProgramName}: version {Version} (compatible with makedumpfile 1.7 command line)\n" +
        "lzo\tenabled\n" +
        "snappy\tenabled\n" +
        "zstd\tenabled\n";

    /// <summary>Cuts a long "+commit" suffix (the SDK appends the full hash) to <see cref="CommitLength"/> characters.</summary>
    private static string Shorten(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 && version.Length - plus - 1 > CommitLength ? version[..(plus + 1 + CommitLength)] : version;
    }
}
