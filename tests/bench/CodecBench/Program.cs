using System.Reflection;
using Coresift.Bench;
using Coresift.Codecs;

// Usage: CodecBench [--quick] [--runs N] [--max-pages N] [--sets name,name] [--codecs lzo,zlib,snappy,zstd] [file...]
// Files add a page set each: an ELF vmcore (or any file) is sampled evenly, a kdump-compressed dump gives its dumped
// pages in pfn order; all-zero pages are skipped; at most --max-pages (8192) per file. --quick: 1 run of 0.1 s.
const int PagesPerSet = 4096;
bool quick = args.Contains("--quick");
double minSeconds = quick ? 0.1 : 0.25;
int runsAt = Array.IndexOf(args, "--runs");
int runs = runsAt >= 0 && runsAt + 1 < args.Length ? int.Parse(args[runsAt + 1], System.Globalization.CultureInfo.InvariantCulture) : quick ? 1 : 3;
int setsAt = Array.IndexOf(args, "--sets");
string[]? only = setsAt >= 0 && setsAt + 1 < args.Length ? args[setsAt + 1].Split(',') : null;
int maxAt = Array.IndexOf(args, "--max-pages");
int maxPages = maxAt >= 0 && maxAt + 1 < args.Length ? int.Parse(args[maxAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 8192;
int codecsAt = Array.IndexOf(args, "--codecs");
string[]? onlyFormats = codecsAt >= 0 && codecsAt + 1 < args.Length ? args[codecsAt + 1].Split(',') : null;
if (onlyFormats?.Except(["lzo", "zlib", "snappy", "zstd"]).FirstOrDefault() is { } unknown)
{
    Console.Error.WriteLine($"--codecs: unknown format '{unknown}' (lzo, zlib, snappy, zstd)");
    return 2;
}
var files = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] is not ("--sets" or "--runs" or "--codecs" or "--max-pages"))).ToList();

// One group per kdump format: coresift's codec and the native C library makedumpfile links, timed against each other
// (alternating chunk by chunk) on the same pages. LZO stays first: tests/bench/bench.py takes the first "coresift" and
// the first "native" row of a set as the LZO ones.
var groups = new List<FormatGroup>();
if (onlyFormats == null || onlyFormats.Contains("lzo"))
    groups.Add(FormatGroup.Create("lzo", "lzo1x_1 coresift (managed)", () => new LzoPageCodec(), NativeLzo.TryCreate(),
        "liblzo2.so.2", "liblzo2-2"));
if (onlyFormats == null || onlyFormats.Contains("zlib"))
    groups.Add(FormatGroup.Create("zlib", "zlib coresift (.NET zlib-ng)", () => new ZlibPageCodec(), NativeZlib.TryCreate(),
        "libz.so.1", "zlib1g"));
if (onlyFormats == null || onlyFormats.Contains("snappy"))
    groups.Add(FormatGroup.Create("snappy", $"snappy coresift (Snappier {PackageVersion(typeof(Snappier.Snappy))})",
        () => new SnappyPageCodec(), NativeSnappy.TryCreate(), "libsnappy.so.1", "libsnappy1v5"));
if (onlyFormats == null || onlyFormats.Contains("zstd"))
    groups.Add(FormatGroup.Create("zstd", $"zstd coresift (ZstdSharp {PackageVersion(typeof(ZstdSharp.Compressor))})",
        () => new ZstdPageCodec(), NativeZstd.TryCreate(), "libzstd.so.1", "libzstd1"));

var sets = PageSets.Synthetic(PagesPerSet);
foreach (var path in files)
    sets.Add(PageSets.FromFile(path, maxPages) with { Name = Path.GetFileName(path) });

Console.WriteLine($"runtime {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, " +
    $"{(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}, " +
    $"{Environment.ProcessorCount} CPUs; best of {runs} runs of >= {minSeconds} s; MB/s = 1e6 input bytes/s; " +
    "ratio = sum(min(csize, 4096)) / input; zlib and zstd at level 1");
Console.WriteLine();
// "vs native" compares each codec with the native library of its own format (the same row is 100%).
Console.WriteLine("| set | pages | codec | compress MB/s | decompress MB/s | ratio | compress vs native | decompress vs native |");
Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|");
foreach (var set in sets.Where(s => only == null || only.Contains(s.Name)))
{
    foreach (var g in groups)
    {
        var results = Runner.Run(set, g.Codecs, g.Cross, minSeconds, runs);
        var baseline = g.Native != null ? results.First(r => r.Codec == g.Native.Name) : null;
        foreach (var r in results)
            Console.WriteLine($"| {r.Set} | {set.Pages.Length} | {r.Codec} | {r.CompressMBps:F0} | {r.DecompressMBps:F0} | {r.Ratio:F3} | " +
                (baseline == null ? "- | - |" : $"{r.CompressMBps / baseline.CompressMBps:P0} | {r.DecompressMBps / baseline.DecompressMBps:P0} |"));
    }
}
return 0;

// "1.3.1" from the package's informational version ("1.3.1+commit").
static string PackageVersion(Type t)
{
    var v = t.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? t.Assembly.GetName().Version?.ToString() ?? "?";
    int plus = v.IndexOf('+');
    return plus >= 0 ? v[..plus] : v;
}

/// <summary>The codecs of one format: coresift's, and the native library's when it loads.</summary>
internal sealed record FormatGroup(string Format, IReadOnlyList<IBenchCodec> Codecs, IReadOnlyList<IBenchCodec> Cross, IBenchCodec? Native)
{
    /// <summary>coresift's codec, the native one (or null, with a note on stderr), and the cross-decoders of both.</summary>
    public static FormatGroup Create(string format, string name, Func<IPageCodec> ours, IBenchCodec? native, string lib, string package)
    {
        if (native == null)
            Console.Error.WriteLine($"{lib} not found: native {format} comparison skipped (apt-get install {package})");
        var codecs = new List<IBenchCodec> { new PageCodecBench(name, ours()) };
        if (native != null)
            codecs.Add(native);
        // Decoders that must accept every codec's output of this format: each page compressed by either side is
        // decoded by a separate coresift instance and by the native library (and by its own codec).
        IBenchCodec[] cross = native != null ? [new PageCodecBench("coresift", ours()), native] : [];
        return new FormatGroup(format, codecs, cross, native);
    }
}
