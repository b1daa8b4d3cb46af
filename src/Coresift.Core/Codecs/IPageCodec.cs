namespace Coresift.Codecs;

/// <summary>Compresses and decompresses single pages for kdump-compressed files. One instance per thread: codecs keep state.</summary>
public interface IPageCodec
{
    /// <summary>The page_desc flag of pages this codec wrote (DUMP_DH_COMPRESSED_ZLIB/LZO/SNAPPY/ZSTD).</summary>
    uint DescriptorFlag { get; }

    /// <summary>The largest output Compress can produce for an input of this length.</summary>
    int MaxCompressedLength(int inputLength);

    /// <summary>Compresses src into dst; returns the length, or 0 when the codec failed or dst was too small.</summary>
    /// <remarks>The caller stores the page raw when the result is 0 or not smaller than the page.</remarks>
    int Compress(ReadOnlySpan<byte> src, Span<byte> dst);

    /// <summary>Decompresses src into dst; returns the length written, or -1 when the input is corrupt or does not fit.</summary>
    int Decompress(ReadOnlySpan<byte> src, Span<byte> dst);
}

/// <summary>Flag values shared by disk_dump_header.status and page_desc.flags (makedumpfile diskdump_mod.h).</summary>
public static class KdumpFlags
{
    /// <summary>DUMP_DH_COMPRESSED_ZLIB.</summary>
    public const uint Zlib = 0x01;
    /// <summary>DUMP_DH_COMPRESSED_LZO.</summary>
    public const uint Lzo = 0x02;
    /// <summary>DUMP_DH_COMPRESSED_SNAPPY.</summary>
    public const uint Snappy = 0x04;
    /// <summary>DUMP_DH_COMPRESSED_INCOMPLETE (status only).</summary>
    public const uint Incomplete = 0x08;
    /// <summary>DUMP_DH_EXCLUDED_VMEMMAP (status only).</summary>
    public const uint ExcludedVmemmap = 0x10;
    /// <summary>DUMP_DH_COMPRESSED_ZSTD.</summary>
    public const uint Zstd = 0x20;
}
