using System.Globalization;
using System.Text;
using Coresift.Common;

namespace Coresift.Kernel;

/// <summary>The VMCOREINFO note's text: typed look-ups of SYMBOL, SIZE, OFFSET, LENGTH, NUMBER and plain keys.</summary>
/// <remarks>Missing keys return null; nothing is guessed here. Fallbacks belong to <see cref="KernelTraits"/>.</remarks>
public sealed class VmcoreInfo
{
    private readonly Dictionary<string, string> _values;

    /// <summary>The raw text, as found in the note.</summary>
    public string Text { get; }

    private VmcoreInfo(string text, Dictionary<string, string> values)
    {
        Text = text;
        _values = values;
    }

    /// <summary>Parses KEY=VALUE lines; later duplicates are ignored, malformed lines skipped.</summary>
    public static VmcoreInfo Parse(ReadOnlySpan<byte> desc, Limits limits)
    {
        ThrowHelper.CheckLimit((ulong)desc.Length, (ulong)limits.MaxVmcoreinfoBytes, "the size of VMCOREINFO");
        int nul = desc.IndexOf((byte)0);
        if (nul >= 0)
            desc = desc[..nul];
        string text = Encoding.ASCII.GetString(desc);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        int lines = 0;
        foreach (var raw in text.Split('\n'))
        {
            if (++lines > limits.MaxVmcoreinfoLines)
                ThrowHelper.BadInput($"VMCOREINFO has more than {limits.MaxVmcoreinfoLines} lines");
            string line = raw.TrimEnd('\r');
            int eq = line.IndexOf('=');
            if (eq <= 0)
                continue;
            values.TryAdd(line[..eq], line[(eq + 1)..]);
        }
        return new VmcoreInfo(text, values);
    }

    /// <summary>Parses VMCOREINFO text given as a string (tests, -i files).</summary>
    public static VmcoreInfo Parse(string text) => Parse(Encoding.ASCII.GetBytes(text), Limits.Default);

    /// <summary>The raw value of a plain key such as OSRELEASE, or null.</summary>
    public string? Get(string key) => _values.TryGetValue(key, out var v) ? v : null;

    /// <summary>True when the key is present.</summary>
    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>SYMBOL(name): a hexadecimal address, or null.</summary>
    public ulong? Symbol(string name) => ParseHex(Get($"SYMBOL({name})"));

    /// <summary>SIZE(name), or null.</summary>
    public long? Size(string name) => ParseDecimalOrHex(Get($"SIZE({name})"));

    /// <summary>OFFSET(struct.field), or null.</summary>
    public long? Offset(string name) => ParseDecimalOrHex(Get($"OFFSET({name})"));

    /// <summary>LENGTH(name), or null.</summary>
    public long? Length(string name) => ParseDecimalOrHex(Get($"LENGTH({name})"));

    /// <summary>NUMBER(name): signed decimal, or 0x-prefixed hexadecimal; null when absent.</summary>
    public long? Number(string name) => ParseDecimalOrHex(Get($"NUMBER({name})"));

    /// <summary>OSRELEASE, or null.</summary>
    public string? OsRelease => Get("OSRELEASE");

    /// <summary>PAGESIZE, or null.</summary>
    public long? PageSize => ParseDecimalOrHex(Get("PAGESIZE"));

    /// <summary>KERNELOFFSET (hexadecimal without 0x), or null.</summary>
    public ulong? KernelOffset => ParseHex(Get("KERNELOFFSET"));

    /// <summary>CRASHTIME (seconds since the epoch), or null (QEMU dumps have none).</summary>
    public long? CrashTime => ParseDecimalOrHex(Get("CRASHTIME"));

    /// <summary>OFFSET(name), or a one-line error naming what is missing.</summary>
    public long RequireOffset(string name) => Offset(name) ?? throw Missing($"OFFSET({name})");

    /// <summary>SIZE(name), or a one-line error naming what is missing.</summary>
    public long RequireSize(string name) => Size(name) ?? throw Missing($"SIZE({name})");

    /// <summary>SYMBOL(name), or a one-line error naming what is missing.</summary>
    public ulong RequireSymbol(string name) => Symbol(name) ?? throw Missing($"SYMBOL({name})");

    /// <summary>The error for an entry the dump level needs but VMCOREINFO lacks.</summary>
    public static BadInputException Missing(string key) => new($"VMCOREINFO lacks {key}, which this dump level needs");

    /// <summary>Hexadecimal with optional 0x; null when absent or not a number.</summary>
    internal static ulong? ParseHex(string? s)
    {
        if (s is null)
            return null;
        s = s.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            s = s[2..];
        return ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v) ? v : null;
    }

    /// <summary>Signed decimal, falling back to hexadecimal (0x prefix optional) as the kernel prints some numbers.</summary>
    internal static long? ParseDecimalOrHex(string? s)
    {
        if (s is null)
            return null;
        s = s.Trim();
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long d))
            return d;
        if (ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u))
            return unchecked((long)u);
        ulong? h = ParseHex(s);
        return h is null ? null : unchecked((long)h.Value);
    }
}
