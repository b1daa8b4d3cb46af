using System.Buffers.Binary;

namespace Coresift.Input;

/// <summary>Explicit-endian integer reads for a file whose byte order is known at run time.</summary>
public readonly struct ElfEndian(bool bigEndian)
{
    /// <summary>True when the file is big-endian.</summary>
    public bool IsBigEndian { get; } = bigEndian;

    /// <summary>Reads a 16-bit value at the start of the span.</summary>
    public ushort U16(ReadOnlySpan<byte> s) => IsBigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    /// <summary>Reads a 32-bit value at the start of the span.</summary>
    public uint U32(ReadOnlySpan<byte> s) => IsBigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    /// <summary>Reads a 64-bit value at the start of the span.</summary>
    public ulong U64(ReadOnlySpan<byte> s) => IsBigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);
}
