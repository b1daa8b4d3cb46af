using System.Runtime.InteropServices;

namespace Coresift.Bench;

/// <summary>liblzo2 (lzo1x_1_compress / lzo1x_decompress_safe) through P/Invoke, for comparison only.</summary>
internal sealed unsafe class NativeLzo : IBenchCodec
{
    private const string Lib = "liblzo2.so.2";
    // LZO1X_1_MEM_COMPRESS = 16384 * sizeof(lzo_bytep) on LP64 (lzo1x.h, lzoconf.h).
    private const int WorkMemSize = 16384 * 8;
    private readonly byte[] _work = GC.AllocateArray<byte>(WorkMemSize, pinned: true);

    [DllImport(Lib)]
    private static extern int __lzo_init_v2(uint version, int s1, int s2, int s3, int s4, int s5, int s6, int s7, int s8, int s9);

    [DllImport(Lib)]
    private static extern int lzo1x_1_compress(byte* src, nuint srcLen, byte* dst, nuint* dstLen, void* wrkmem);

    [DllImport(Lib)]
    private static extern int lzo1x_decompress_safe(byte* src, nuint srcLen, byte* dst, nuint* dstLen, void* wrkmem);

    [DllImport(Lib)]
    private static extern byte* lzo_version_string();

    /// <summary>Loads and initialises liblzo2; null when it is not installed.</summary>
    public static NativeLzo? TryCreate()
    {
        try
        {
            // lzo_init(): version 2.10, then sizeof short, int, long, lzo_uint32_t, lzo_uint, dict_t, char*, lzo_voidp, lzo_callback_t.
            return __lzo_init_v2(0x20a0, 2, 4, 8, 4, 8, 8, 8, 8, 48) == 0 ? new NativeLzo() : null;
        }
        catch (DllNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public string Name => "lzo1x_1 native liblzo2 " + Marshal.PtrToStringAnsi((nint)lzo_version_string());

    /// <inheritdoc />
    public int MaxCompressedLength(int n) => n + n / 16 + 64 + 3;

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        fixed (byte* w = _work)
        {
            nuint len = (nuint)dst.Length;
            return lzo1x_1_compress(s, (nuint)src.Length, d, &len, w) == 0 ? (int)len : -1;
        }
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            nuint len = (nuint)dst.Length;
            return lzo1x_decompress_safe(s, (nuint)src.Length, d, &len, null) == 0 ? (int)len : -1;
        }
    }
}
