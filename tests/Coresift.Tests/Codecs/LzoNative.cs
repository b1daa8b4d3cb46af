using System.Runtime.InteropServices;
using Coresift.Tests.Integration;

namespace Coresift.Tests.Codecs;

/// <summary>The reference liblzo2 (lzo1x_1_compress, lzo1x_decompress_safe) through P/Invoke, for cross-checks only.</summary>
internal static unsafe class LzoNative
{
    private const string Lib = "liblzo2.so.2";
    // LZO1X_1_MEM_COMPRESS = 16384 * lzo_sizeof_dict_t = 16384 * sizeof(lzo_bytep): 131072 bytes on LP64.
    private const int WorkMemSize = 16384 * 8;
    private static readonly Lazy<bool> s_available = new(Init);

    [DllImport(Lib)]
    private static extern int __lzo_init_v2(uint version, int s1, int s2, int s3, int s4, int s5, int s6, int s7, int s8, int s9);

    [DllImport(Lib)]
    private static extern int lzo1x_1_compress(byte* src, nuint srcLen, byte* dst, nuint* dstLen, void* wrkmem);

    [DllImport(Lib)]
    private static extern int lzo1x_decompress_safe(byte* src, nuint srcLen, byte* dst, nuint* dstLen, void* wrkmem);

    /// <summary>True when liblzo2.so.2 loaded and lzo_init() succeeded.</summary>
    public static bool Available => s_available.Value;

    /// <summary>True when the library is usable; outside CI a missing library skips the caller, in CI it fails the test.</summary>
    public static bool Require()
    {
        if (Available)
            return true;
        Assert.False(TestEnvironment.IsCi, "liblzo2.so.2 must be installed in CI (apt-get install liblzo2-2)");
        return false;
    }

    /// <summary>lzo1x_1_compress of src.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> src)
    {
        var dst = new byte[src.Length + src.Length / 16 + 64 + 3];
        var work = new byte[WorkMemSize];
        nuint len = (nuint)dst.Length;
        int rc;
        fixed (byte* s = src)
        fixed (byte* d = dst)
        fixed (byte* w = work)
            rc = lzo1x_1_compress(s, (nuint)src.Length, d, &len, w);
        Assert.Equal(0, rc);
        return dst.AsSpan(0, (int)len).ToArray();
    }

    /// <summary>lzo1x_decompress_safe into dst: the output length, or liblzo2's negative error code.</summary>
    public static int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        nuint len = (nuint)dst.Length;
        int rc;
        fixed (byte* s = src)
        fixed (byte* d = dst)
            rc = lzo1x_decompress_safe(s, (nuint)src.Length, d, &len, null);
        return rc == 0 ? (int)len : rc;
    }

    private static bool Init()
    {
        try
        {
            // lzo_init(): LZO_VERSION 2.10, then sizeof short, int, long, lzo_uint32_t, lzo_uint, dict_t, char*, lzo_voidp, lzo_callback_t.
            return __lzo_init_v2(0x20a0, 2, 4, 8, 4, 8, 8, 8, 8, 48) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }
}
