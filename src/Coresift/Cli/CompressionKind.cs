namespace Coresift.App.Cli;

/// <summary>Per-page compression of a kdump-compressed dump (-c, -l, -p, -z; the last one given wins).</summary>
public enum CompressionKind
{
    /// <summary>Pages are stored uncompressed (no compression option given).</summary>
    None,

    /// <summary>-c: zlib (deflate level 1 with the zlib wrapper).</summary>
    Zlib,

    /// <summary>-l: LZO1X-1.</summary>
    Lzo,

    /// <summary>-p: raw snappy block.</summary>
    Snappy,

    /// <summary>-z: one zstd frame per page.</summary>
    Zstd,
}
