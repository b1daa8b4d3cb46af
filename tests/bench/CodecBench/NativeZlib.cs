using System.Runtime.InteropServices;

namespace Coresift.Bench;

/// <summary>libz (compress2 at level 1 / uncompress, as makedumpfile -c calls them) through P/Invoke, for comparison only.</summary>
internal sealed unsafe class NativeZlib : IBenchCodec
{
    private const string Lib = "libz.so.1";
    private const int Level = 1; // Z_BEST_SPEED

    // uLong is unsigned long: 64 bits on LP64 Linux.
    [DllImport(Lib)]
    private static extern int compress2(byte* dest, nuint* destLen, byte* source, nuint sourceLen, int level);

    [DllImport(Lib)]
    private static extern int uncompress(byte* dest, nuint* destLen, byte* source, nuint sourceLen);

    [DllImport(Lib)]
    private static extern nuint compressBound(nuint sourceLen);

    [DllImport(Lib)]
    private static extern byte* zlibVersion();

    private readonly string _version;

    private NativeZlib(string version) => _version = version;

    /// <summary>Loads libz; null when it is not installed.</summary>
    public static NativeZlib? TryCreate()
    {
        try
        {
            return new NativeZlib(Marshal.PtrToStringAnsi((nint)zlibVersion()) ?? "?");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public string Name => "zlib native libz " + _version;

    /// <inheritdoc />
    public int MaxCompressedLength(int n) => (int)compressBound((nuint)n);

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            nuint len = (nuint)dst.Length;
            return compress2(d, &len, s, (nuint)src.Length, Level) == 0 ? (int)len : -1;
        }
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            nuint len = (nuint)dst.Length;
            return uncompress(d, &len, s, (nuint)src.Length) == 0 ? (int)len : -1;
        }
    }
}
