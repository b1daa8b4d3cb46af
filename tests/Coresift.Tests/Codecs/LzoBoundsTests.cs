using Coresift.Codecs;

namespace Coresift.Tests.Codecs;

/// <summary>The unsafe LZO code never writes outside the spans it is given, whatever their size.</summary>
public class LzoBoundsTests
{
    private const byte Guard = 0xA5;
    private const int GuardBytes = 64;

    /// <summary>A span of length n inside a larger array whose bytes after it are guard bytes.</summary>
    private static (byte[] Backing, Memory<byte> Span) Guarded(int n)
    {
        var backing = new byte[n + GuardBytes];
        backing.AsSpan(n).Fill(Guard);
        return (backing, backing.AsMemory(0, n));
    }

    private static void AssertGuardIntact(byte[] backing, int n, string what) =>
        Assert.True(backing.AsSpan(n).IndexOfAnyExcept(Guard) < 0, "write past the end of dst: " + what);

    [Fact]
    public void CompressIntoEverySmallerBufferFailsOrSucceedsInBounds()
    {
        var compressor = new Lzo1xCompressor();
        foreach (string kind in LzoTestData.Kinds)
            foreach (int n in new[] { 19, 20, 21, 100, 1000, 4096 })
            {
                var input = LzoTestData.Make(kind, n, n);
                int max = Lzo1x.MaxCompressedLength(n);
                int full = compressor.Compress(input, new byte[max]);
                for (int size = 0; size <= max; size += size < 64 ? 1 : 7)
                {
                    var (backing, dst) = Guarded(size);
                    int r = compressor.Compress(input, dst.Span);
                    AssertGuardIntact(backing, size, $"{kind} n={n} dst={size}");
                    if (r < 0)
                    {
                        // The room checks are conservative by at most 40 bytes plus 1/128 of a literal run and match.
                        Assert.True(size < full + 48 + n / 64, $"{kind} n={n}: failed with dst={size} although {full} bytes suffice");
                        continue;
                    }
                    Assert.Equal(full, r);
                    var back = new byte[n];
                    Assert.Equal(n, Lzo1x.Decompress(dst.Span[..r], back));
                    Assert.Equal(input, back);
                }
            }
    }

    [Fact]
    public void DecompressIntoEverySmallerBufferFailsInBounds()
    {
        foreach (string kind in LzoTestData.Kinds)
        {
            var input = LzoTestData.Make(kind, 4096, 4);
            var dstFull = new byte[Lzo1x.MaxCompressedLength(4096)];
            var c = dstFull.AsSpan(0, Lzo1x.Compress(input, dstFull)).ToArray();
            for (int size = 0; size <= 4096 + 32; size += size < 4000 ? 37 : 1)
            {
                var (backing, dst) = Guarded(size);
                int r = Lzo1x.Decompress(c, dst.Span);
                AssertGuardIntact(backing, size, $"{kind} dst={size}");
                Assert.Equal(size >= 4096 ? 4096 : -1, r);
            }
        }
    }

    [Fact]
    public void MutatedStreamsNeverWritePastDst()
    {
        var rng = new Random(99);
        var input = LzoTestData.Mixed(4096, 6);
        var dstFull = new byte[Lzo1x.MaxCompressedLength(4096)];
        var c = dstFull.AsSpan(0, Lzo1x.Compress(input, dstFull)).ToArray();
        for (int i = 0; i < 3000; i++)
        {
            var m = (byte[])c.Clone();
            m[rng.Next(m.Length)] = (byte)rng.Next(256);
            int size = rng.Next(0, 4200);
            var (backing, dst) = Guarded(size);
            int r = Lzo1x.Decompress(m, dst.Span);
            Assert.InRange(r, -1, size);
            AssertGuardIntact(backing, size, $"mutation {i} dst={size}");
        }
    }
}
