using System.Runtime.InteropServices;

namespace Coresift.Bench;

/// <summary>libzstd at level 1 (ZSTD_compressCCtx / ZSTD_decompressDCtx, one context of each per instance) through P/Invoke, for comparison only.</summary>
/// <remarks>
/// makedumpfile -z keeps one ZSTD_CCtx per thread and calls ZSTD_compressCCtx per page; the contexts are reused here
/// too, as ZstdPageCodec reuses its Compressor and Decompressor (plain ZSTD_decompress would allocate a DCtx per page).
/// </remarks>
internal sealed unsafe class NativeZstd : IBenchCodec, IDisposable
{
    private const string Lib = "libzstd.so.1";
    private const int Level = 1;

    [DllImport(Lib)]
    private static extern nint ZSTD_createCCtx();

    [DllImport(Lib)]
    private static extern nuint ZSTD_freeCCtx(nint cctx);

    [DllImport(Lib)]
    private static extern nint ZSTD_createDCtx();

    [DllImport(Lib)]
    private static extern nuint ZSTD_freeDCtx(nint dctx);

    [DllImport(Lib)]
    private static extern nuint ZSTD_compressCCtx(nint cctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int compressionLevel);

    [DllImport(Lib)]
    private static extern nuint ZSTD_decompressDCtx(nint dctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [DllImport(Lib)]
    private static extern nuint ZSTD_compressBound(nuint srcSize);

    [DllImport(Lib)]
    private static extern uint ZSTD_isError(nuint code);

    [DllImport(Lib)]
    private static extern byte* ZSTD_versionString();

    private readonly nint _cctx;
    private readonly nint _dctx;
    private readonly string _version;

    private NativeZstd(string version)
    {
        _version = version;
        _cctx = ZSTD_createCCtx();
        _dctx = ZSTD_createDCtx();
        if (_cctx == 0 || _dctx == 0)
            throw new OutOfMemoryException("ZSTD_createCCtx/ZSTD_createDCtx failed");
    }

    /// <summary>Loads libzstd and creates the contexts; null when it is not installed.</summary>
    public static NativeZstd? TryCreate()
    {
        try
        {
            return new NativeZstd(Marshal.PtrToStringAnsi((nint)ZSTD_versionString()) ?? "?");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public string Name => "zstd native libzstd " + _version;

    /// <inheritdoc />
    public int MaxCompressedLength(int n) => (int)ZSTD_compressBound((nuint)n);

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            nuint n = ZSTD_compressCCtx(_cctx, d, (nuint)dst.Length, s, (nuint)src.Length, Level);
            return ZSTD_isError(n) != 0 ? -1 : (int)n;
        }
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            nuint n = ZSTD_decompressDCtx(_dctx, d, (nuint)dst.Length, s, (nuint)src.Length);
            return ZSTD_isError(n) != 0 ? -1 : (int)n;
        }
    }

    /// <summary>Frees the contexts.</summary>
    public void Dispose()
    {
        ZSTD_freeCCtx(_cctx);
        ZSTD_freeDCtx(_dctx);
    }
}
