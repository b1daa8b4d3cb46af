using System.Globalization;

namespace Coresift.Filter;

/// <summary>How much memory coresift may use for bitmaps, and where that figure came from.</summary>
public readonly record struct MemoryBudget(long Bytes, string Source)
{
    /// <summary>What the runtime, buffers and codecs need besides the bitmaps (kept out of the budget).</summary>
    public const long RuntimeReserve = 24L << 20;

    /// <summary>The smallest budget coresift works with (one cycle's bitmap of a few MiB of pfns).</summary>
    public const long Minimum = 256L << 10;

    /// <summary>Reads the budget from the files the kernel provides: MemAvailable (or MemFree) and any cgroup limit.</summary>
    /// <param name="procRoot">Where /proc lives (tests pass a fake tree).</param>
    /// <param name="cgroupRoot">Where the cgroup file systems are mounted.</param>
    public static MemoryBudget FromSystem(string procRoot = "/proc", string cgroupRoot = "/sys/fs/cgroup")
    {
        long available = -1;
        string source = "no /proc/meminfo";
        if (ReadMeminfo(Path.Combine(procRoot, "meminfo")) is { } info)
        {
            if (info.TryGetValue("MemAvailable", out long a))
                (available, source) = (a, $"MemAvailable {a >> 10} KiB");
            else if (info.TryGetValue("MemFree", out long f))
                (available, source) = (f, $"MemFree {f >> 10} KiB");
        }
        if (CgroupRoom(procRoot, cgroupRoot) is (long room, string where) && (available < 0 || room < available))
            (available, source) = (room, where);
        if (available < 0)
            return new MemoryBudget(64L << 20, source + "; assumed 64 MiB");
        return new MemoryBudget(Math.Max(Minimum, available - RuntimeReserve), source + $", less {RuntimeReserve >> 20} MiB for the runtime");
    }

    /// <summary>This budget less bytes that something else takes from it (not below <see cref="Minimum"/>).</summary>
    public MemoryBudget Less(long bytes, string what) =>
        new(Math.Max(Minimum, Bytes - Math.Max(0, bytes)), $"{Source}, less {bytes >> 10} KiB for {what}");

    /// <summary>The budget that --cyclic-buffer sets: makedumpfile's per-bitmap buffer, both bitmaps' worth.</summary>
    public static MemoryBudget FromCyclicBuffer(long kib) => new(Math.Max(1024, kib * 1024 * 2), $"--cyclic-buffer {kib} KiB");

    /// <summary>Parses /proc/meminfo into bytes per key, or null when it cannot be read.</summary>
    internal static Dictionary<string, long>? ReadMeminfo(string path)
    {
        try
        {
            var result = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(path))
            {
                int colon = line.IndexOf(':');
                if (colon <= 0)
                    continue;
                var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 1 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                    result[line[..colon]] = parts.Length >= 2 && parts[1] == "kB" ? v * 1024 : v;
            }
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Room left under this process's cgroup memory limits (v2 memory.max, v1 memory.limit_in_bytes), or null. The
    /// cgroup's ancestors count too: a limit on a parent (a systemd slice, say) binds a child whose own limit is
    /// "max", so each level from the process's cgroup up to the mount's root is read and the least room wins.
    /// </summary>
    internal static (long Room, string Source)? CgroupRoom(string procRoot, string cgroupRoot)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(procRoot, "self", "cgroup"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        (long, string)? best = null;
        foreach (var line in lines)
        {
            // "hierarchy-id:controllers:path"; v2 has id 0 and no controllers.
            var f = line.Split(':', 3);
            if (f.Length != 3)
                continue;
            string rel = f[2].TrimStart('/');
            bool v2 = f[0] == "0" && f[1].Length == 0;
            if (!v2 && !f[1].Split(',').Contains("memory"))
                continue;
            string root = v2 ? cgroupRoot : Path.Combine(cgroupRoot, "memory");
            foreach (string level in SelfAndAncestors(rel))
            {
                string dir = Path.Combine(root, level);
                string where = level == rel ? "" : $" (of the ancestor /{level})";
                var room = v2
                    ? Room(Path.Combine(dir, "memory.max"), Path.Combine(dir, "memory.current"), "cgroup v2 memory.max", where)
                    : Room(Path.Combine(dir, "memory.limit_in_bytes"), Path.Combine(dir, "memory.usage_in_bytes"), "cgroup v1 memory.limit_in_bytes", where);
                if (room is { } r && (best is null || r.Item1 < best.Value.Item1))
                    best = r;
            }
        }
        return best;
    }

    /// <summary>
    /// A cgroup path relative to its mount ("a/b/c") and its ancestors ("a/b", "a"; the root itself has no limit
    /// files). A path outside the mount (a cgroup namespace shows "/../x" for those) yields itself only, as before.
    /// </summary>
    private static IEnumerable<string> SelfAndAncestors(string rel)
    {
        yield return rel;
        if (rel.Split('/').Contains(".."))
            yield break;
        for (int cut = rel.LastIndexOf('/'); cut > 0; cut = rel.LastIndexOf('/', cut - 1))
            yield return rel[..cut];
    }

    /// <summary>limit - usage from two cgroup files; null when unlimited or unreadable.</summary>
    private static (long, string)? Room(string limitFile, string usageFile, string what, string where)
    {
        try
        {
            string text = File.ReadAllText(limitFile).Trim();
            if (text == "max" || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long limit) || limit >= 1L << 60)
                return null;
            long usage = 0;
            if (File.Exists(usageFile) && long.TryParse(File.ReadAllText(usageFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long u))
                usage = u;
            long room = Math.Max(0, limit - usage);
            return (room, $"{what} {limit >> 10} KiB{where}, {usage >> 10} KiB in use");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
