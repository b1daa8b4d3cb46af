namespace Coresift.Filter;

/// <summary>The 2nd bitmap one cycle at a time: what writers that need more than one pass over it take.</summary>
public interface IDumpableCycles
{
    /// <summary>How pfns are cut into cycles.</summary>
    CyclePlan Plan { get; }

    /// <summary>The dumpable pfns of cycle index (kept, decoded or scanned again).</summary>
    Bitmap DumpableCycle(ulong index);
}
