using System.Diagnostics;

namespace Coresift.Bench;

/// <summary>One codec's results on one page set.</summary>
internal sealed record Result(string Set, string Codec, double CompressMBps, double DecompressMBps, double Ratio);

/// <summary>Compresses and decompresses each page independently, single-threaded, best of several timed runs.</summary>
/// <remarks>
/// A run repeats passes over the set for at least minSeconds per codec. Pages are timed in chunks of ChunkPages,
/// codecs alternating chunk by chunk (which codec goes first rotates from pass to pass, so that none always finds
/// the chunk already cached by another), and a run's speed is the set size over the sum of each chunk's fastest
/// pass: on a shared machine this discards passes that lost the CPU to another process.
/// </remarks>
internal static class Runner
{
    private const int ChunkPages = 64;

    /// <summary>Verifies round trips (and cross-decoding between codecs of one format), then times every codec.</summary>
    public static List<Result> Run(PageSet set, IReadOnlyList<IBenchCodec> codecs, IReadOnlyList<IBenchCodec> crossDecoders, double minSeconds, int runs)
    {
        var compressed = new byte[]?[codecs.Count][];
        var ratios = new double[codecs.Count];
        var scratch = new byte[codecs.Count][];
        for (int c = 0; c < codecs.Count; c++)
        {
            scratch[c] = new byte[codecs[c].MaxCompressedLength(PageSet.PageSize)];
            (compressed[c], ratios[c]) = CompressAll(set, codecs[c], crossDecoders, scratch[c]);
        }

        var outPage = new byte[PageSet.PageSize];
        var comp = new double[codecs.Count];
        var decomp = new double[codecs.Count];
        for (int r = -1; r < runs; r++)
        {
            // Run -1 is a warm-up (tiered JIT promotion) and is not counted.
            double seconds = r < 0 ? minSeconds / 4 : minSeconds;
            var c1 = TimeRun(set, codecs.Count, seconds, (c, from, to) =>
            {
                for (int i = from; i < to; i++)
                    codecs[c].Compress(set.Pages[i], scratch[c]);
            });
            var d1 = TimeRun(set, codecs.Count, seconds, (c, from, to) =>
            {
                for (int i = from; i < to; i++)
                {
                    // A page stored raw is copied by the reader, not decoded.
                    if (compressed[c][i] is { } z)
                        codecs[c].Decompress(z, outPage);
                    else
                        set.Pages[i].CopyTo(outPage, 0);
                }
            });
            if (r < 0)
                continue;
            for (int c = 0; c < codecs.Count; c++)
            {
                comp[c] = Math.Max(comp[c], c1[c]);
                decomp[c] = Math.Max(decomp[c], d1[c]);
            }
        }
        return codecs.Select((c, i) => new Result(set.Name, c.Name, comp[i], decomp[i], ratios[i])).ToList();
    }

    /// <summary>Compresses every page once and checks that each decoder restores it; returns the outputs and the stored ratio.</summary>
    /// <remarks>
    /// A page whose output is not smaller than the page, or that the codec declined (Compress returned 0, as
    /// IPageCodec does when the output does not fit), is stored raw, as makedumpfile does: it counts as PageSize
    /// bytes and its slot is null, so that the decompress pass copies it as a dump reader would.
    /// </remarks>
    private static (byte[]?[], double) CompressAll(PageSet set, IBenchCodec codec, IReadOnlyList<IBenchCodec> crossDecoders, byte[] scratch)
    {
        var comp = new byte[]?[set.Pages.Length];
        long stored = 0;
        int declined = 0, raw = 0;
        for (int i = 0; i < set.Pages.Length; i++)
        {
            int n = codec.Compress(set.Pages[i], scratch);
            if (n < 0)
                throw new InvalidOperationException($"{codec.Name}: compress failed on {set.Name} page {i}");
            if (n == 0)
            {
                declined++;
                stored += PageSet.PageSize;
                continue;
            }
            var z = scratch.AsSpan(0, n).ToArray();
            foreach (var dec in crossDecoders.Append(codec))
                Verify(dec, z, set.Pages[i], $"{codec.Name} -> {dec.Name} on {set.Name} page {i}");
            if (n >= PageSet.PageSize)
                raw++;
            else
                comp[i] = z;
            stored += Math.Min(n, PageSet.PageSize);
        }
        if (declined > 0)
            Console.Error.WriteLine($"{set.Name}: {codec.Name} declined {declined} of {set.Pages.Length} pages " +
                $"(output over MaxCompressedLength; stored raw, {raw} more stored raw as not smaller than a page)");
        return (comp, (double)stored / set.Bytes);
    }

    private static void Verify(IBenchCodec decoder, byte[] compressed, byte[] page, string what)
    {
        var back = new byte[PageSet.PageSize];
        int n = decoder.Decompress(compressed, back);
        if (n != PageSet.PageSize || !back.AsSpan().SequenceEqual(page))
            throw new InvalidOperationException("round trip failed: " + what);
    }

    /// <summary>One run: passes over all chunks (codecs alternating per chunk) for at least minSeconds; MB/s per codec.</summary>
    private static double[] TimeRun(PageSet set, int codecs, double minSeconds, Action<int, int, int> work)
    {
        int chunks = (set.Pages.Length + ChunkPages - 1) / ChunkPages;
        var best = new long[codecs, chunks];
        for (int c = 0; c < codecs; c++)
            for (int k = 0; k < chunks; k++)
                best[c, k] = long.MaxValue;
        long start = Stopwatch.GetTimestamp();
        int pass = 0;
        do
        {
            for (int k = 0; k < chunks; k++)
            {
                int from = k * ChunkPages;
                int to = Math.Min(set.Pages.Length, from + ChunkPages);
                for (int j = 0; j < codecs; j++)
                {
                    // Rotate which codec goes first: the first one pays for bringing the chunk into the cache.
                    int c = (j + pass) % codecs;
                    long t0 = Stopwatch.GetTimestamp();
                    work(c, from, to);
                    best[c, k] = Math.Min(best[c, k], Stopwatch.GetTimestamp() - t0);
                }
            }
            pass++;
        }
        while (pass < codecs || Stopwatch.GetElapsedTime(start).TotalSeconds < minSeconds * codecs);
        var mbps = new double[codecs];
        for (int c = 0; c < codecs; c++)
        {
            long ticks = 0;
            for (int k = 0; k < chunks; k++)
                ticks += best[c, k];
            mbps[c] = set.Bytes / (ticks / (double)Stopwatch.Frequency) / 1e6;
        }
        return mbps;
    }
}
