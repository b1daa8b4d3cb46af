using System.Runtime.InteropServices;

namespace Coresift.Bench;

/// <summary>libsnappy's C API (snappy_compress / snappy_uncompress, as makedumpfile -p calls them) through P/Invoke, for comparison only.</summary>
internal sealed unsafe class NativeSnappy : IBenchCodec
{
    private const string Lib = "libsnappy.so.1";

    // snappy_status: SNAPPY_OK = 0, SNAPPY_INVALID_INPUT = 1, SNAPPY_BUFFER_TOO_SMALL = 2 (snappy-c.h).
    [DllImport(Lib)]
    private static extern int snappy_compress(byte* input, nuint inputLength, byte* compressed, nuint* compressedLength);

    [DllImport(Lib)]
    private static extern int snappy_uncompress(byte* compressed, nuint compressedLength, byte* uncompressed, nuint* uncompressedLength);

    [DllImport(Lib)]
    private static extern nuint snappy_max_compressed_length(nuint sourceLength);

    private readonly string _version;

    private NativeSnappy(string version) => _version = version;

    /// <summary>Loads libsnappy; null when it is not installed.</summary>
    public static NativeSnappy? TryCreate()
    {
        try
        {
            _ = snappy_max_compressed_length(4096);
            return new NativeSnappy(MappedVersion("libsnappy.so.") ?? "");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public string Name => ("snappy native libsnappy " + _version).TrimEnd();

    /// <inheritdoc />
    public int MaxCompressedLength(int n) => (int)snappy_max_compressed_length((nuint)n);

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            nuint len = (nuint)dst.Length;
            return snappy_compress(s, (nuint)src.Length, d, &len) == 0 ? (int)len : -1;
        }
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            nuint len = (nuint)dst.Length;
            return snappy_uncompress(s, (nuint)src.Length, d, &len) == 0 ? (int)len : -1;
        }
    }

    /// <summary>The C API has no version call: "1.1.9" from the loaded file's name (libsnappy.so.1.1.9) in /proc/self/maps.</summary>
    private static string? MappedVersion(string prefix)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int at = line.LastIndexOf('/');
                if (at >= 0 && line.AsSpan(at + 1).StartsWith(prefix, StringComparison.Ordinal))
                    return line[(at + 1 + prefix.Length)..];
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
