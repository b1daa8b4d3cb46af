using Coresift.Codecs;

namespace Coresift.Tests.Codecs;

/// <summary>Round trips of the managed LZO1X codec and cross-checks in both directions against liblzo2.</summary>
public class LzoTests
{
    /// <summary>Lengths 0..300 one by one, then a sparse sweep to 20000 with the page and block boundaries.</summary>
    public static IEnumerable<int> Lengths()
    {
        for (int n = 0; n <= 300; n++)
            yield return n;
        for (int n = 301; n <= 20000; n += 97)
            yield return n;
        foreach (int n in new[] { 4095, 4096, 4097, 8191, 8192, 8193, 16383, 16384, 16385, 20000 })
            yield return n;
    }

    /// <summary>Compresses with the static API into a buffer of exactly MaxCompressedLength bytes.</summary>
    private static byte[] Compress(byte[] input)
    {
        var dst = new byte[Lzo1x.MaxCompressedLength(input.Length)];
        int n = Lzo1x.Compress(input, dst);
        Assert.True(n >= 3, $"compress returned {n} for {input.Length} bytes");
        return dst.AsSpan(0, n).ToArray();
    }

    /// <summary>Decompresses with the managed decoder into a buffer of exactly the expected size and checks the bytes.</summary>
    private static void AssertDecodes(byte[] compressed, byte[] expected)
    {
        var back = new byte[expected.Length];
        Assert.Equal(expected.Length, Lzo1x.Decompress(compressed, back));
        Assert.True(back.AsSpan().SequenceEqual(expected));
    }

    /// <summary>Decodes with liblzo2 into a buffer of exactly the expected size and checks the bytes.</summary>
    private static void AssertNativeDecodes(byte[] compressed, byte[] expected)
    {
        var back = new byte[expected.Length];
        Assert.Equal(expected.Length, LzoNative.Decompress(compressed, back));
        Assert.True(back.AsSpan().SequenceEqual(expected));
    }

    [Fact]
    public void EmptyInputIsTheEndMarkerAlone()
    {
        Assert.Equal(new byte[] { 0x11, 0, 0 }, Compress([]));
        Assert.Equal(0, Lzo1x.Decompress(new byte[] { 0x11, 0, 0 }, []));
    }

    [Fact]
    public void MaxCompressedLengthIsLiblzoBound()
    {
        Assert.Equal(67, Lzo1x.MaxCompressedLength(0));
        Assert.Equal(4096 + 256 + 67, Lzo1x.MaxCompressedLength(4096));
    }

    [Fact]
    public void RoundTripsEveryKindAndLength()
    {
        foreach (string kind in LzoTestData.Kinds)
            foreach (int n in Lengths())
            {
                var input = LzoTestData.Make(kind, n, n);
                AssertDecodes(Compress(input), input);
            }
    }

    [Fact]
    public void CompressesRedundantPagesWell()
    {
        Assert.True(Compress(new byte[4096]).Length < 40);
        Assert.True(Compress(LzoTestData.Text(4096, 1)).Length < 3000);
        Assert.True(Compress(LzoTestData.KernelPages(4096, 1)).Length < 2600);
        Assert.True(Compress(LzoTestData.Random(4096, 1)).Length <= Lzo1x.MaxCompressedLength(4096));
    }

    [Fact]
    public void RoundTripsOneMebibyte()
    {
        foreach (string kind in new[] { "zeros", "mixed", "random", "text" })
        {
            var input = LzoTestData.Make(kind, 1 << 20, 7);
            var c = Compress(input);
            AssertDecodes(c, input);
            if (kind == "zeros")
                Assert.True(c.Length < 5000);
        }
    }

    [Fact]
    public void MatchesAtEncodingBoundariesRoundTrip()
    {
        // M2 <= 2048 / M3 <= 16384 / M4 <= 49151 distances; M2 8, M4 9, M3 33 lengths and 255-steps of the extension.
        int[] distances = [1, 2, 7, 8, 15, 16, 17, 2048, 2049, 3072, 16383, 16384, 16385, 32768, 32769, 49150, 49151, 49152, 60000];
        int[] lengths = [4, 5, 8, 9, 10, 33, 34, 35, 288, 289, 290, 544, 545, 3000];
        foreach (int d in distances)
            foreach (int l in lengths)
            {
                var input = LzoTestData.WithMatch(d, l, d * 31 + l);
                var c = Compress(input);
                AssertDecodes(c, input);
                int control = Compress(LzoTestData.Random(input.Length, d * 31 + l)).Length;
                bool reachable = d < 32 || d - l >= l / 16 + 16;
                if (d <= Lzo1xCompressor.MaxDistance && l >= 8 && reachable)
                    Assert.True(c.Length < control - l / 4, $"match d={d} l={l} not used: {c.Length} against {control}");
            }
    }

    [Fact]
    public void LongLiteralRunsRoundTrip()
    {
        // Literal-run headers change at 3/4, 18/19, 238/239 (first run) and every 255 of the extension.
        foreach (int lit in new[] { 1, 2, 3, 4, 5, 17, 18, 19, 20, 237, 238, 239, 240, 272, 273, 274, 528, 529, 5000 })
        {
            var head = LzoTestData.Random(lit, lit);
            var input = head.Concat(new byte[64]).Concat(LzoTestData.Random(lit, lit + 1)).Concat(new byte[64]).ToArray();
            AssertDecodes(Compress(input), input);
        }
    }

    [Fact]
    public void WorstCaseFitsMaxCompressedLength()
    {
        // 19 fresh literals then a 4-byte repeat: the pattern that costs the most header bytes.
        var rng = new Random(5);
        var input = new byte[1 << 20];
        int pos = 0;
        while (pos + 23 <= input.Length)
        {
            rng.NextBytes(input.AsSpan(pos, 19));
            input.AsSpan(pos, 4).CopyTo(input.AsSpan(pos + 19));
            pos += 23;
        }
        var c = Compress(input);
        Assert.True(c.Length > input.Length, "expected expansion");
        AssertDecodes(c, input);
    }

    [Fact]
    public void TooSmallOutputFailsCleanly()
    {
        var input = LzoTestData.Random(4096, 3);
        Assert.Equal(-1, Lzo1x.Compress(input, new byte[4096]));
        Assert.Equal(-1, Lzo1x.Compress(input, new byte[2]));
        Assert.Equal(0, new LzoPageCodec().Compress(input, new byte[100]));
        var c = Compress(input);
        Assert.Equal(-1, Lzo1x.Decompress(c, new byte[4095]));
        Assert.Equal(4096, Lzo1x.Decompress(c, new byte[5000]));
    }

    [Fact]
    public unsafe void ExtendMatchStopsAtTheFirstDifferenceOrTheEnd()
    {
        // The extension compares 32, then 8, then 1 byte at a time: every length up to 100 and every end-of-input
        // distance, with the difference in each lane of each block, must come out exact (not early, not late).
        var a = new byte[160];
        var b = new byte[160];
        for (int start = 0; start < 3; start++)
            for (int avail = 0; avail <= 100; avail++)
                for (int diff = 0; diff <= avail; diff++)
                {
                    LzoTestData.Random(a.Length, avail * 131 + diff).CopyTo(a, 0);
                    a.CopyTo(b, 0);
                    if (diff < avail)
                        b[start + diff] ^= (byte)(1 + (diff & 0x7F));
                    fixed (byte* pa = a)
                    fixed (byte* pb = b)
                    {
                        byte* end = Lzo1xEncoder.ExtendMatch(pa + start, pb + start, pa + start + avail);
                        Assert.Equal(diff, (int)(end - (pa + start)));
                    }
                }
    }

    [Fact]
    public void PageCodecRoundTripsAndReportsLzoFlag()
    {
        var codec = new LzoPageCodec();
        Assert.Equal(KdumpFlags.Lzo, codec.DescriptorFlag);
        var page = LzoTestData.KernelPages(4096, 9);
        var dst = new byte[codec.MaxCompressedLength(4096)];
        int n = codec.Compress(page, dst);
        Assert.InRange(n, 3, 4095);
        var back = new byte[4096];
        Assert.Equal(4096, codec.Decompress(dst.AsSpan(0, n), back));
        Assert.Equal(page, back);
        Assert.Equal(-1, codec.Decompress(dst.AsSpan(0, n - 1), back));
    }

    [Fact]
    public void CompressorInstanceIsReusableAcrossManyCalls()
    {
        // Stale table entries must never be used: a page's stream is the same whatever was compressed before it
        // (what keeps dumps byte-identical for any thread count).
        var comp = new Lzo1xCompressor();
        var pages = Enumerable.Range(0, 7).Select(i => LzoTestData.Make(LzoTestData.Kinds[i], 4096, i)).ToArray();
        var fresh = pages.Select(p =>
        {
            var d = new byte[Lzo1x.MaxCompressedLength(4096)];
            return d.AsSpan(0, new Lzo1xCompressor().Compress(p, d)).ToArray();
        }).ToArray();
        var dst = new byte[Lzo1x.MaxCompressedLength(4096)];
        var back = new byte[4096];
        for (int i = 0; i < 2000; i++)
        {
            var input = pages[i % pages.Length];
            int n = comp.Compress(input, dst);
            Assert.True(dst.AsSpan(0, n).SequenceEqual(fresh[i % pages.Length]), $"call {i}");
            Assert.Equal(input.Length, Lzo1x.Decompress(dst.AsSpan(0, n), back));
            Assert.True(back.AsSpan().SequenceEqual(input));
        }
    }

    [Fact]
    public void TableBasesWrapAroundSafely()
    {
        var comp = new Lzo1xCompressor();
        var big = LzoTestData.Mixed(60000, 2);
        var page = LzoTestData.Text(4096, 3);
        var dst = new byte[Lzo1x.MaxCompressedLength(60000)];
        var back = new byte[60000];
        var fresh = new Lzo1xCompressor();
        var dstFresh = new byte[dst.Length];
        comp.SetBaseForTesting(int.MaxValue - 3 * 110000);   // the table is cleared within the next few calls
        for (int i = 0; i < 12; i++)
        {
            var input = i % 3 == 2 ? page : big;
            int n = comp.Compress(input, dst);
            Assert.True(dst.AsSpan(0, n).SequenceEqual(dstFresh.AsSpan(0, fresh.Compress(input, dstFresh))), $"call {i}");
            Assert.Equal(input.Length, Lzo1x.Decompress(dst.AsSpan(0, n), back));
            Assert.True(back.AsSpan(0, input.Length).SequenceEqual(input));
        }
    }

    [Fact]
    public void LiblzoDecodesOurOutput()
    {
        if (!LzoNative.Require())
            return;
        foreach (string kind in LzoTestData.Kinds)
            foreach (int n in Lengths())
            {
                var input = LzoTestData.Make(kind, n, n);
                AssertNativeDecodes(Compress(input), input);
            }
        foreach (string kind in new[] { "mixed", "random", "zeros" })
        {
            var big = LzoTestData.Make(kind, 1 << 20, 3);
            AssertNativeDecodes(Compress(big), big);
        }
        foreach (int d in new[] { 1, 3, 2048, 2049, 16384, 16385, 49151 })
            foreach (int l in new[] { 4, 8, 9, 33, 34, 289, 3000 })
            {
                var input = LzoTestData.WithMatch(d, l, d + l);
                AssertNativeDecodes(Compress(input), input);
            }
    }

    [Fact]
    public void WeDecodeLiblzoOutput()
    {
        if (!LzoNative.Require())
            return;
        foreach (string kind in LzoTestData.Kinds)
            foreach (int n in Lengths())
            {
                var input = LzoTestData.Make(kind, n, n);
                AssertDecodes(LzoNative.Compress(input), input);
            }
        foreach (string kind in new[] { "mixed", "random", "zeros", "text" })
        {
            var big = LzoTestData.Make(kind, 1 << 20, 3);
            AssertDecodes(LzoNative.Compress(big), big);
        }
    }

    [Fact]
    public void RatioIsCloseToLiblzo()
    {
        if (!LzoNative.Require())
            return;
        foreach (string kind in new[] { "text", "kernel", "mixed" })
        {
            long ours = 0, theirs = 0;
            for (int seed = 0; seed < 64; seed++)
            {
                var page = LzoTestData.Make(kind, 4096, seed);
                ours += Compress(page).Length;
                theirs += LzoNative.Compress(page).Length;
            }
            Assert.True(ours <= theirs * 1.03, $"{kind}: {ours} bytes against liblzo2's {theirs}");
        }
    }
}
