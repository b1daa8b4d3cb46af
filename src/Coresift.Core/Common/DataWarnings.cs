namespace Coresift.Common;

/// <summary>One kind of corrupt kernel data seen: how often, the first occurrence, and what was done about it.</summary>
public readonly record struct DataWarning(string Kind, long Count, string FirstExample, string Action)
{
    /// <summary>The one line printed at the end of a dump.</summary>
    public override string ToString() =>
        $"WARNING: corrupt kernel data: {Kind}: {Count} {(Count == 1 ? "time" : "times")} (first: {FirstExample}); {Action}.";
}

/// <summary>
/// Collects corrupt kernel data that was worked around (wild pointers, impossible orders, flag combinations that cannot
/// be, cyclic lists): one entry per kind with a count and the first example, printed once at the end. Thread-safe.
/// </summary>
/// <remarks>
/// Callers count first and format the example only for the first occurrence (<c>if (w.Add(k, a)) w.SetExample(k, ...)</c>),
/// so a flood costs no strings; no lambda either, since a closure over a hot method's locals allocates on every call.
/// </remarks>
public sealed class DataWarnings
{
    private sealed class Entry(string kind, string action)
    {
        public readonly string Kind = kind, Action = action;
        public long Count;
        public string? First;
    }

    private readonly object _lock = new();
    private readonly List<Entry> _entries = new();   // in order of first occurrence

    /// <summary>Counts one occurrence of kind; returns true for the first one (the caller then gives the example).</summary>
    public bool Add(string kind, string action, long count = 1)
    {
        lock (_lock)
        {
            var e = Find(kind);
            if (e is null)
            {
                e = new Entry(kind, action);
                _entries.Add(e);
            }
            bool first = e.Count == 0;
            e.Count += count;
            return first;
        }
    }

    /// <summary>Sets the first example of a kind (only the first call counts).</summary>
    public void SetExample(string kind, string example)
    {
        lock (_lock)
        {
            if (Find(kind) is { } e)
                e.First ??= example;
        }
    }

    /// <summary>How many times kind was seen.</summary>
    public long Count(string kind)
    {
        lock (_lock)
            return Find(kind)?.Count ?? 0;
    }

    /// <summary>True when nothing was seen.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
                return _entries.Count == 0;
        }
    }

    /// <summary>Every kind seen, in order of first occurrence.</summary>
    public IReadOnlyList<DataWarning> Items
    {
        get
        {
            lock (_lock)
                return _entries.Select(e => new DataWarning(e.Kind, e.Count, e.First ?? "?", e.Action)).ToArray();
        }
    }

    /// <summary>Adds every kind of other to this collector.</summary>
    public void AddFrom(DataWarnings other)
    {
        foreach (var w in other.Items)
        {
            if (Add(w.Kind, w.Action, w.Count))
                SetExample(w.Kind, w.FirstExample);
        }
    }

    private Entry? Find(string kind)
    {
        foreach (var e in _entries)
            if (e.Kind == kind)
                return e;
        return null;
    }
}
