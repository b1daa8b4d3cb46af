using System.Diagnostics;
using Coresift.Codecs;

namespace Coresift.Tests.Codecs;

/// <summary>The LZO decompressor on corrupt and hostile input: -1, never an exception, an out-of-range access or a hang.</summary>
public class LzoHostileInputTests
{
    private static byte[] Compress(byte[] input)
    {
        var dst = new byte[Lzo1x.MaxCompressedLength(input.Length)];
        return dst.AsSpan(0, Lzo1x.Compress(input, dst)).ToArray();
    }

    [Fact]
    public void ShortInputsAreRejected()
    {
        var dst = new byte[4096];
        Assert.Equal(-1, Lzo1x.Decompress([], dst));
        Assert.Equal(-1, Lzo1x.Decompress([0x11], dst));
        Assert.Equal(-1, Lzo1x.Decompress([0x11, 0], dst));
        Assert.Equal(-1, Lzo1x.Decompress([0x12, (byte)'a'], dst));
    }

    [Fact]
    public void TrailingBytesAfterTheEndMarkerAreRejected()
    {
        Assert.Equal(-1, Lzo1x.Decompress([0x11, 0, 0, 0], new byte[16]));
        var c = Compress(LzoTestData.Text(4096, 1));
        Assert.Equal(-1, Lzo1x.Decompress([.. c, 0x11, 0, 0], new byte[4096]));
    }

    [Fact]
    public void LookbehindBeforeTheStartIsRejected()
    {
        // One literal, then an M2 copy of 3 bytes from distance 2 (only 1 byte exists).
        Assert.Equal(-1, Lzo1x.Decompress([0x12, (byte)'a', 0x44, 0x00, 0x11, 0, 0], new byte[64]));
        // Same at distance 1: valid ("aaaa").
        Assert.Equal(4, Lzo1x.Decompress([0x12, (byte)'a', 0x40, 0x00, 0x11, 0, 0], new byte[64]));
        // M3 from distance 16384 after 4 literals; M4 from distance 49151 after 4 literals.
        Assert.Equal(-1, Lzo1x.Decompress([0x15, 1, 2, 3, 4, 0x22, 0xFC, 0xFF, 0x11, 0, 0], new byte[64]));
        Assert.Equal(-1, Lzo1x.Decompress([0x15, 1, 2, 3, 4, 0x1A, 0xFC, 0xFF, 0x11, 0, 0], new byte[64]));
        // A match as the very first instruction (state 0 after first byte <= 17: "16" is an M4 with nothing behind).
        Assert.Equal(-1, Lzo1x.Decompress([0x10, 0x04, 0x00, 0x11, 0, 0], new byte[64]));
    }

    [Fact]
    public void OutputOverrunIsRejected()
    {
        foreach (string kind in LzoTestData.Kinds)
        {
            var input = LzoTestData.Make(kind, 4096, 2);
            var c = Compress(input);
            foreach (int size in new[] { 0, 1, 100, 4000, 4095 })
                Assert.Equal(-1, Lzo1x.Decompress(c, new byte[size]));
        }
        // A long zero-run claiming about 2.5 MB of output.
        var huge = new List<byte> { 0x12, 0, 0x20 };
        huge.AddRange(new byte[10000]);
        huge.AddRange([1, 0, 0, 0x11, 0, 0]);
        Assert.Equal(-1, Lzo1x.Decompress(huge.ToArray(), new byte[1 << 20]));
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        foreach (string kind in new[] { "text", "kernel", "mixed", "zeros" })
        {
            var input = LzoTestData.Make(kind, 4096, 3);
            var c = Compress(input);
            var dst = new byte[4096];
            for (int cut = 0; cut < c.Length; cut++)
                Assert.Equal(-1, Lzo1x.Decompress(c.AsSpan(0, cut), dst));
            Assert.Equal(4096, Lzo1x.Decompress(c, dst));
        }
    }

    [Fact]
    public void RandomGarbageTerminatesQuickly()
    {
        var rng = new Random(11);
        var dst = new byte[4096];
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 20000; i++)
        {
            var src = new byte[rng.Next(0, 600)];
            rng.NextBytes(src);
            int n = Lzo1x.Decompress(src, dst);
            Assert.InRange(n, -1, dst.Length);
        }
        // All-zero and all-0xFF inputs (long length extensions, maximal M2 runs).
        Assert.Equal(-1, Lzo1x.Decompress(new byte[100000], dst));
        Assert.Equal(-1, Lzo1x.Decompress(Enumerable.Repeat((byte)0xFF, 100000).ToArray(), dst));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
    }

    [Fact]
    public void MutatedStreamsNeverThrowAndAgreeWithLiblzo()
    {
        bool native = LzoNative.Require();
        var rng = new Random(12345);
        var bases = new List<(byte[] Input, byte[] Stream)>();
        foreach (string kind in LzoTestData.Kinds)
        {
            var input = LzoTestData.Make(kind, 4096, 5);
            bases.Add((input, Compress(input)));
            if (native)
                bases.Add((input, LzoNative.Compress(input)));
        }

        var ours = new byte[4096];
        var theirs = new byte[4096];
        int accepted = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 20000; i++)
        {
            var (input, stream) = bases[rng.Next(bases.Count)];
            var m = Mutate(stream, rng);
            int size = rng.Next(8) == 0 ? rng.Next(0, 4200) : 4096;
            int n = Lzo1x.Decompress(m, ours.AsSpan(0, Math.Min(size, 4096)));
            Assert.InRange(n, -1, Math.Min(size, 4096));
            if (n >= 0)
                accepted++;
            if (native && size <= 4096)
            {
                int r = LzoNative.Decompress(m, theirs.AsSpan(0, size));
                Assert.True((n >= 0) == (r >= 0), $"mutation {i}: managed {n}, liblzo2 {r}");
                if (n >= 0)
                {
                    Assert.Equal(r, n);
                    Assert.True(ours.AsSpan(0, n).SequenceEqual(theirs.AsSpan(0, n)), $"mutation {i}: outputs differ");
                }
            }
        }
        Assert.True(accepted > 0, "no mutation decoded: the mutations are too destructive to exercise the decoder");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
    }

    /// <summary>Flips bits, overwrites, inserts, deletes or truncates a few bytes.</summary>
    private static byte[] Mutate(byte[] stream, Random rng)
    {
        var b = new List<byte>(stream);
        int edits = rng.Next(1, 4);
        for (int e = 0; e < edits && b.Count > 0; e++)
        {
            int at = rng.Next(b.Count);
            switch (rng.Next(6))
            {
                case 0:
                    b[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    b[at] = (byte)rng.Next(256);
                    break;
                case 2:
                    b.Insert(at, (byte)rng.Next(256));
                    break;
                case 3:
                    b.RemoveAt(at);
                    break;
                case 4:
                    b.RemoveRange(at, b.Count - at);
                    break;
                default:
                    b[at] = rng.Next(2) == 0 ? (byte)0 : (byte)0xFF;
                    break;
            }
        }
        return b.ToArray();
    }
}
