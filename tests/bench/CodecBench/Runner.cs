using System.Diagnostics;

namespace Coresift.Bench;

/// <summary>One codec's results on one page set.</summary>
internal sealed record Result(string Set, string Codec, double CompressMBps, double DecompressMBps, double Ratio);

/// <summary>Compresses and decompresses each page independently, single-threaded, best of several timed runs.</summary>
internal static class Runner
{
    /// <summary>Verifies round trips (and cross-decoding between codecs of one format), then times every codec.</summary>
    public static List<Result> Run(PageSet set, IReadOnlyList<IBenchCodec> codecs, IReadOnlyList<IBenchCodec> crossDecoders, double minSeconds, int runs)
    {
        var results = new List<Result>();
        foreach (var codec in codecs)
        {
            int max = codec.MaxCompressedLength(PageSet.PageSize);
            var comp = new byte[set.Pages.Length][];
            var lengths = new int[set.Pages.Length];
            long stored = 0;
            var scratch = new byte[max];
            for (int i = 0; i < set.Pages.Length; i++)
            {
                int n = codec.Compress(set.Pages[i], scratch);
                if (n <= 0)
                    throw new InvalidOperationException($"{codec.Name}: compress failed on {set.Name} page {i}");
                comp[i] = scratch.AsSpan(0, n).ToArray();
                lengths[i] = n;
                stored += Math.Min(n, PageSet.PageSize);
                foreach (var dec in crossDecoders.Append(codec))
                    Verify(dec, comp[i], set.Pages[i], $"{codec.Name} -> {dec.Name} on {set.Name} page {i}");
            }

            double c = Best(runs, minSeconds, set, () =>
            {
                foreach (var page in set.Pages)
                    codec.Compress(page, scratch);
            });
            var outPage = new byte[PageSet.PageSize];
            double d = Best(runs, minSeconds, set, () =>
            {
                foreach (var cp in comp)
                    codec.Decompress(cp, outPage);
            });
            results.Add(new Result(set.Name, codec.Name, c, d, (double)stored / set.Bytes));
        }
        return results;
    }

    private static void Verify(IBenchCodec decoder, byte[] compressed, byte[] page, string what)
    {
        var back = new byte[PageSet.PageSize];
        int n = decoder.Decompress(compressed, back);
        if (n != PageSet.PageSize || !back.AsSpan().SequenceEqual(page))
            throw new InvalidOperationException("round trip failed: " + what);
    }

    /// <summary>The best MB/s (1e6 input bytes per second) of several runs, each repeating the pass for at least minSeconds.</summary>
    private static double Best(int runs, double minSeconds, PageSet set, Action pass)
    {
        pass(); // warm-up (and tiered JIT promotion)
        double best = 0;
        for (int r = 0; r < runs; r++)
        {
            long passes = 0;
            long start = Stopwatch.GetTimestamp();
            double elapsed;
            do
            {
                pass();
                passes++;
                elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            while (elapsed < minSeconds);
            best = Math.Max(best, passes * set.Bytes / elapsed / 1e6);
        }
        return best;
    }
}
