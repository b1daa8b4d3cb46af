namespace Coresift.Codecs;

/// <summary>How the compressor's hash table stores positions (a struct type argument, so each variant is compiled separately).</summary>
/// <remarks>
/// Entries hold cur = position + base, where base grows from call to call; entries left by earlier calls are recognised
/// as stale by their value, so the table is cleared only when the base would overflow, not on every call.
/// </remarks>
internal unsafe interface ILzoHashTable
{
    /// <summary>Reads entry h.</summary>
    static abstract nint Load(void* table, uint h);

    /// <summary>Writes entry h.</summary>
    static abstract void Store(void* table, uint h, int cur);

    /// <summary>True when m (from an entry) is a position of this call within the LZO1X distance limit of ip.</summary>
    static abstract bool IsCandidate(byte* m, byte* s0, byte* ip);
}

/// <summary>16-bit entries (64 KiB) for inputs of at most MaxDistance bytes: entries below b (before s0) are stale.</summary>
internal unsafe struct LzoTable16 : ILzoHashTable
{
    /// <inheritdoc />
    public static nint Load(void* table, uint h) => ((ushort*)table)[h];

    /// <inheritdoc />
    public static void Store(void* table, uint h, int cur) => ((ushort*)table)[h] = unchecked((ushort)cur);

    /// <inheritdoc />
    public static bool IsCandidate(byte* m, byte* s0, byte* ip) => m >= s0;
}

/// <summary>32-bit entries (128 KiB, allocated on first use) for longer inputs: consecutive calls' bases are more than MaxDistance apart, so stale entries fail the distance test.</summary>
internal unsafe struct LzoTable32 : ILzoHashTable
{
    /// <inheritdoc />
    public static nint Load(void* table, uint h) => ((int*)table)[h];

    /// <inheritdoc />
    public static void Store(void* table, uint h, int cur) => ((int*)table)[h] = cur;

    /// <inheritdoc />
    public static bool IsCandidate(byte* m, byte* s0, byte* ip) => unchecked((nuint)(ip - m) <= Lzo1xCompressor.MaxDistance);
}
