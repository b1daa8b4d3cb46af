using Coresift.Bench;
using Coresift.Codecs;

// Usage: CodecBench [--quick] [--runs N] [--sets name,name] [file...]
// Files (e.g. ELF vmcores) add a page set each; all-zero pages are skipped. --quick: 1 run of 0.1 s.
const int PagesPerSet = 4096;
bool quick = args.Contains("--quick");
double minSeconds = quick ? 0.1 : 0.25;
int runsAt = Array.IndexOf(args, "--runs");
int runs = runsAt >= 0 && runsAt + 1 < args.Length ? int.Parse(args[runsAt + 1], System.Globalization.CultureInfo.InvariantCulture) : quick ? 1 : 3;
int setsAt = Array.IndexOf(args, "--sets");
string[]? only = setsAt >= 0 && setsAt + 1 < args.Length ? args[setsAt + 1].Split(',') : null;
var files = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] is not ("--sets" or "--runs"))).ToList();

var native = NativeLzo.TryCreate();
if (native == null)
    Console.Error.WriteLine("liblzo2.so.2 not found: native comparison skipped (apt-get install liblzo2-2)");

// Add other codecs here (any IPageCodec through PageCodecBench, or a native IBenchCodec).
var codecs = new List<IBenchCodec> { new PageCodecBench("lzo1x_1 coresift (managed)", new LzoPageCodec()) };
if (native != null)
    codecs.Add(native);
// Decoders that must accept every LZO codec's output (cross-check of the format).
IBenchCodec[] cross = native != null ? [new PageCodecBench("coresift", new LzoPageCodec()), native] : [];

var sets = PageSets.Synthetic(PagesPerSet);
foreach (var path in files)
    sets.Add(PageSets.FromFile(path, 8192) with { Name = Path.GetFileName(path) });

Console.WriteLine($"runtime {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, " +
    $"{(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}, " +
    $"{Environment.ProcessorCount} CPUs; best of {runs} runs of >= {minSeconds} s; MB/s = 1e6 input bytes/s; " +
    "ratio = sum(min(csize, 4096)) / input");
Console.WriteLine();
// Ratios are against the reference: liblzo2 when it is loaded, otherwise the first codec.
var reference = native ?? codecs[0];
string refName = native != null ? "liblzo2" : "first";
Console.WriteLine($"| set | pages | codec | compress MB/s | decompress MB/s | ratio | compress vs {refName} | decompress vs {refName} |");
Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|");
foreach (var set in sets.Where(s => only == null || only.Contains(s.Name)))
{
    var results = Runner.Run(set, codecs, cross, minSeconds, runs);
    var baseline = results.First(r => r.Codec == reference.Name);
    foreach (var r in results)
        Console.WriteLine($"| {r.Set} | {set.Pages.Length} | {r.Codec} | {r.CompressMBps:F0} | {r.DecompressMBps:F0} | {r.Ratio:F3} | " +
            $"{r.CompressMBps / baseline.CompressMBps:P0} | {r.DecompressMBps / baseline.DecompressMBps:P0} |");
}
