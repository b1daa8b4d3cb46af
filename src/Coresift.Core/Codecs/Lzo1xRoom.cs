namespace Coresift.Codecs;

/// <summary>Whether the encoder must check the output room (a struct type argument, compiled per variant).</summary>
internal interface ILzoRoom
{
    /// <summary>True when dst may be smaller than Lzo1x.MaxCompressedLength of the input.</summary>
    static abstract bool Checked { get; }
}

/// <summary>dst may be too small: every instruction checks its room first.</summary>
internal struct LzoRoomChecked : ILzoRoom
{
    /// <inheritdoc />
    public static bool Checked => true;
}

/// <summary>dst holds at least Lzo1x.MaxCompressedLength of the input (more than the n + n/23 + 8 worst case): no checks.</summary>
internal struct LzoRoomAmple : ILzoRoom
{
    /// <inheritdoc />
    public static bool Checked => false;
}
