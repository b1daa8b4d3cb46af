using System.Globalization;
using System.Text.RegularExpressions;

namespace Coresift.Tests.Integration;

/// <summary>The page counts of makedumpfile's (or coresift's) report block, keyed by row label.</summary>
public sealed partial class StatsReport
{
    /// <summary>The rows the issue names, in report order.</summary>
    public static readonly string[] Rows =
    [
        "Original pages", "Excluded pages", "Pages filled with zero", "Non-private cache pages", "Private cache pages",
        "User process data pages", "Free pages", "Hwpoison pages", "Offline pages", "Remaining pages", "Memory Hole", "Total pages",
    ];

    /// <summary>Row label to page count.</summary>
    public IReadOnlyDictionary<string, ulong> Counts { get; }

    private StatsReport(Dictionary<string, ulong> counts) => Counts = counts;

    [GeneratedRegex(@"^\s*(?<label>[A-Za-z][A-Za-z \-]*?)\s*:\s*0x(?<hex>[0-9a-f]{16})\s*$", RegexOptions.Multiline)]
    private static partial Regex RowPattern();

    /// <summary>Parses the report block out of a program's output; fails if a row is missing.</summary>
    public static StatsReport Parse(string output)
    {
        var counts = new Dictionary<string, ulong>();
        foreach (Match m in RowPattern().Matches(output))
            counts.TryAdd(m.Groups["label"].Value.Trim(), ulong.Parse(m.Groups["hex"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        foreach (var row in Rows)
            if (!counts.ContainsKey(row))
                throw new FormatException($"report row '{row}' missing from output:\n{output}");
        return new StatsReport(counts);
    }

    /// <summary>The rows as "label=value" lines, for readable assertion failures.</summary>
    public string Describe(IEnumerable<string>? rows = null) =>
        string.Join("\n", (rows ?? Rows).Select(r => $"{r}={Counts[r]}"));
}
