using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Coresift.App.Cli;

/// <summary>
/// Strict parsers for option arguments. Valid numbers give makedumpfile's results and messages;
/// text that makedumpfile's atoi()/strtoul() would silently turn into 0 is rejected instead.
/// </summary>
internal static class ValueParsers
{
    /// <summary>Highest dump level (all five exclusion bits).</summary>
    public const int MaxDumpLevel = 31;

    /// <summary>Most dump levels a -d list may hold.</summary>
    public const int MaxDumpLevelCount = 32;

    /// <summary>Highest message level (all five message bits).</summary>
    public const int MaxMessageLevel = 31;

    /// <summary>Highest -b order coresift accepts (a 256 MiB write cache with 4 KiB pages).</summary>
    public const int MaxBlockOrder = 16;

    /// <summary>Largest KiB count whose byte size still fits in a signed 64-bit integer.</summary>
    private const long MaxKiB = long.MaxValue / 1024;

    /// <summary>The size suffixes of -L, each a further power of 1024.</summary>
    private const string SizeSuffixes = "KMGTPE";

    /// <summary>Parses "-d 31" or "-d 1,31": comma-separated levels, empty items skipped.</summary>
    public static bool TryParseDumpLevels(string text, out IReadOnlyList<int> levels, [NotNullWhen(false)] out string? error)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var result = new List<int>(items.Length);
        levels = result;
        foreach (var item in items)
        {
            if (result.Count == MaxDumpLevelCount)
            {
                error = Messages.InvalidDumpLevelList;
                return false;
            }

            if (!TryParseInt(item, out var level))
            {
                error = Messages.InvalidDumpLevel(item);
                return false;
            }

            if (level is < 0 or > MaxDumpLevel)
            {
                error = Messages.InvalidDumpLevel(level.ToString(CultureInfo.InvariantCulture));
                return false;
            }

            result.Add(level);
        }

        error = result.Count == 0 ? Messages.InvalidDumpLevelList : null;
        return error is null;
    }

    /// <summary>Parses --message-level: 0-31.</summary>
    public static bool TryParseMessageLevel(string text, out int level, [NotNullWhen(false)] out string? error)
    {
        if (!TryParseInt(text, out level))
        {
            error = Messages.InvalidMessageLevel(text);
            return false;
        }

        error = level is < 0 or > MaxMessageLevel
            ? Messages.InvalidMessageLevel(level.ToString(CultureInfo.InvariantCulture))
            : null;
        return error is null;
    }

    /// <summary>Parses -L: a positive byte count with an optional K/M/G/T/P/E suffix (powers of 1024, any case).</summary>
    public static bool TryParseSizeLimit(string text, out ulong bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        error = Messages.InvalidSizeLimit(text);
        var digits = text.AsSpan();
        var shift = 0;
        if (digits.Length > 0 && SizeSuffixes.IndexOf(char.ToUpperInvariant(digits[^1])) is var power and >= 0)
        {
            shift = 10 * (power + 1);
            digits = digits[..^1];
        }

        if (!TryParseDigits(digits, out var count) || count == 0 || count > ulong.MaxValue >> shift)
        {
            return false;
        }

        bytes = count << shift;
        error = null;
        return true;
    }

    /// <summary>Parses --num-threads: a non-negative count (0 = no worker threads).</summary>
    public static bool TryParseThreadCount(string text, out int count, [NotNullWhen(false)] out string? error)
        => TryParseRange(text, 0, int.MaxValue, "Num_threads", out count, out error);

    /// <summary>Parses -b: 0 to <see cref="MaxBlockOrder"/>.</summary>
    public static bool TryParseBlockOrder(string text, out int order, [NotNullWhen(false)] out string? error)
        => TryParseRange(text, 0, MaxBlockOrder, "Block_order", out order, out error);

    /// <summary>Parses a KiB count (--cyclic-buffer, --splitblock-size): digits only, small enough to give a byte count.</summary>
    public static bool TryParseKiB(string text, string name, out long kib, [NotNullWhen(false)] out string? error)
    {
        if (!TryParseDigits(text, out var value) || value > MaxKiB)
        {
            kib = 0;
            error = Messages.InvalidValue(name, text);
            return false;
        }

        kib = (long)value;
        error = null;
        return true;
    }

    /// <summary>Parses a hexadecimal address with or without a 0x prefix (--vtop, --xen_phys_start).</summary>
    public static bool TryParseHexAddress(string text, string name, out ulong address, [NotNullWhen(false)] out string? error)
    {
        var digits = text.AsSpan();
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[2..];
        }

        if (digits.Length > 0 && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address))
        {
            error = null;
            return true;
        }

        address = 0;
        error = Messages.InvalidValue(name, text);
        return false;
    }

    /// <summary>Parses a decimal integer in [min, max] or reports "name(text) is invalid.".</summary>
    private static bool TryParseRange(string text, int min, int max, string name, out int value, [NotNullWhen(false)] out string? error)
    {
        if (TryParseInt(text, out value) && value >= min && value <= max)
        {
            error = null;
            return true;
        }

        error = Messages.InvalidValue(name, text);
        return false;
    }

    /// <summary>A decimal int with an optional sign (so "-1" can be reported as out of range).</summary>
    private static bool TryParseInt(string text, out int value)
        => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>An unsigned decimal number made of digits only.</summary>
    private static bool TryParseDigits(ReadOnlySpan<char> text, out ulong value)
        => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
