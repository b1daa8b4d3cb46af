namespace Coresift.Output;

/// <summary>The flattened format (-F, -R): a 4096-byte header, then {offset, size} records, all big-endian (makedumpfile.h).</summary>
internal static class FlattenedFormat
{
    /// <summary>"makedumpfile" and four NUL bytes.</summary>
    public static ReadOnlySpan<byte> Signature => "makedumpfile\0\0\0\0"u8;

    public const int SignatureSize = 16;
    public const int TypeOffset = 16;        // int64, big-endian: TYPE_FLAT_HEADER = 1
    public const int VersionOffset = 24;     // int64, big-endian: 1
    public const int HeaderSize = 4096;      // the header block, zero-padded
    public const long TypeFlatHeader = 1;
    public const long Version = 1;
    public const int RecordHeaderSize = 16;  // {int64 offset; int64 buf_size}, big-endian
    public const long EndMarker = -1;        // offset and size both -1 end the stream
}
