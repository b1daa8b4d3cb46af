using System.Diagnostics;

namespace Coresift.App.Commands;

/// <summary>makedumpfile's progress line on stderr (message-level bit 1): stage, percent in tenths, spinner and ETA.</summary>
/// <remarks>Drawn with a leading carriage return, at most once a second, and once more at 100% when a stage ends.</remarks>
public sealed class ProgressLine(TextWriter stderr, bool enabled)
{
    private static readonly char[] Spinner = ['/', '|', '\\', '-'];
    private readonly Stopwatch _stage = new();
    private long _lastDraw = -1_000_000;
    private int _spin;
    private string? _name;

    /// <summary>Starts a stage (names as makedumpfile's: "Excluding unnecessary pages", "Copying data").</summary>
    public void Begin(string stage)
    {
        _name = stage;
        _stage.Restart();
        _lastDraw = -1_000_000;
    }

    /// <summary>Reports progress; draws when a second has passed since the last line.</summary>
    public void Update(ulong done, ulong total)
    {
        if (!enabled || _name is null)
            return;
        long now = _stage.ElapsedMilliseconds;
        if (now - _lastDraw < 1000 && done < total)
            return;
        _lastDraw = now;
        uint tenths = total == 0 ? 1000 : (uint)Math.Min(1000, done * 1000 / total);
        string eta = "";
        if (done > 0 && done < total)
            eta = "eta: " + FormatEta(now / 1000.0 * (total - done) / done);
        else if (done >= total && _name.StartsWith("Copying", StringComparison.Ordinal))
            eta = "eta: 0s";
        stderr.Write($"\r{_name,-50}: [{tenths / 10,3}.{tenths % 10} %] {Spinner[_spin++ & 3]}  {eta,16}");
        stderr.Flush();
    }

    /// <summary>Ends a stage with its 100% line.</summary>
    public void End(ulong total) => End(total, total);

    /// <summary>Ends a stage where it stopped (a dump cut short by a full disk or a signal ends below 100%).</summary>
    public void End(ulong done, ulong total)
    {
        if (!enabled || _name is null)
            return;
        _lastDraw = -1_000_000;
        Update(done, total);
        stderr.Write('\n');
        _name = null;
    }

    /// <summary>makedumpfile's ETA forms: Ns, MmSs, HhMm, DdHh, &gt;100day.</summary>
    internal static string FormatEta(double seconds)
    {
        long s = (long)Math.Ceiling(seconds);
        if (s < 100)
            return $"{s}s";
        if (s < 100 * 60)
            return $"{s / 60}m{s % 60}s";
        if (s < 48 * 3600)
            return $"{s / 3600}h{s % 3600 / 60}m";
        if (s < 100L * 86400)
            return $"{s / 86400}d{s % 86400 / 3600}h";
        return ">100day";
    }
}
