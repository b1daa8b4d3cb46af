using System.Buffers.Binary;
using System.Diagnostics;
using Coresift.Common;
using Coresift.Fuzzing;
using Coresift.Tests.Integration;

namespace Coresift.Tests.Fuzz;

/// <summary>
/// A fast, deterministic stand-in for the AFL++ runs inside the normal suite: seeded mutations of every seed of
/// tests/fuzz/corpus/TARGET/ through the same <see cref="FuzzTargets"/> code. Each input must parse or raise a
/// <see cref="CoresiftException"/>; any other exception, or a case slower than <see cref="SlowCase"/>, fails the test.
/// Also replays every input saved in tests/fuzz/regressions/ (crashes and hangs found by fuzzing, since fixed).
/// </summary>
public class MutationPassTests
{
    /// <summary>Mutations per seed file (~40 seeds: a few thousand cases in all).</summary>
    private const int MutationsPerSeed = 120;

    /// <summary>One input taking this long counts as a hang.</summary>
    private static readonly TimeSpan SlowCase = TimeSpan.FromSeconds(2);

    private static readonly byte[] InterestingBytes = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x10, 0x40];

    private static readonly ulong[] InterestingWords =
    [
        0, 1, 0x7f, 0x80, 0xff, 0x1000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 1UL << 40,
        0x7fffffffffffffff, 0x8000000000000000, ulong.MaxValue, ulong.MaxValue - 7,
    ];

    public static TheoryData<string> Targets() => new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Mutated_seeds_parse_or_fail_with_a_coresift_error(string target)
    {
        string dir = Path.Combine(TestEnvironment.RepoRoot, "tests", "fuzz", "corpus", target);
        var seeds = Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(seeds);
        string scratch = Path.Combine(Path.GetTempPath(), $"coresift-mutation-{target}-{Guid.NewGuid():N}");
        var failures = new List<string>();
        int cases = 0;
        try
        {
            foreach (var seedPath in seeds)
            {
                byte[] seed = File.ReadAllBytes(seedPath);
                string seedName = Path.GetFileName(seedPath);
                var rng = new Random(StableHash(target + "/" + seedName));
                for (int m = -1; m < MutationsPerSeed; m++)
                {
                    // m = -1 is the seed itself.
                    byte[] input = m < 0 ? seed : Mutate(seed, rng);
                    cases++;
                    string? failure = RunOne(target, input, scratch);
                    if (failure is not null)
                        failures.Add($"{target} seed {seedName} mutation {m}: {failure}");
                }
            }
        }
        finally
        {
            File.Delete(scratch);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n" + string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public void Inputs_that_once_crashed_or_hung_now_parse_or_fail_cleanly()
    {
        string dir = Path.Combine(TestEnvironment.RepoRoot, "tests", "fuzz", "regressions");
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).ToArray() : [];
        string scratch = Path.Combine(Path.GetTempPath(), $"coresift-regression-{Guid.NewGuid():N}");
        var failures = new List<string>();
        try
        {
            foreach (var f in files)
            {
                // File names are TARGET--description.
                string name = Path.GetFileName(f);
                string target = name[..name.IndexOf("--", StringComparison.Ordinal)];
                Assert.Contains(target, FuzzTargets.Names);
                if (RunOne(target, File.ReadAllBytes(f), scratch) is { } failure)
                    failures.Add($"{name}: {failure}");
            }
        }
        finally
        {
            File.Delete(scratch);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Runs one case; returns null when it parsed or failed with a coresift error, else what went wrong.</summary>
    internal static string? RunOne(string target, byte[] input, string scratch)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            FuzzTargets.Run(target, input, scratch);
        }
        catch (CoresiftException)
        {
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
        }
        return sw.Elapsed > SlowCase ? $"took {sw.Elapsed.TotalSeconds:F1} s (a hang)" : null;
    }

    /// <summary>One to four mutations: bit flips, interesting bytes, big length words (LE and BE), truncation, junk appended.</summary>
    internal static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = (byte[])seed.Clone();
        int count = 1 + rng.Next(4);
        for (int i = 0; i < count; i++)
        {
            if (b.Length == 0)
                return [(byte)rng.Next(256)];
            // Half of the edits go to the first 2 KiB, where the headers and length fields are.
            int at = rng.Next(2) == 0 ? rng.Next(Math.Min(b.Length, 2048)) : rng.Next(b.Length);
            switch (rng.Next(8))
            {
                case 0:
                case 1:
                    b[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 2:
                    b[at] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                    break;
                case 3:
                case 4:
                {
                    int width = 1 << (1 + rng.Next(3));   // 2, 4 or 8 bytes
                    at &= ~(width - 1);
                    if (at + width > b.Length)
                        break;
                    ulong v = InterestingWords[rng.Next(InterestingWords.Length)];
                    var span = b.AsSpan(at, width);
                    bool bigEndian = rng.Next(3) == 0;
                    switch (width)
                    {
                        case 2: if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)v); break;
                        case 4: if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(span, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)v); break;
                        default: if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(span, v); else BinaryPrimitives.WriteUInt64LittleEndian(span, v); break;
                    }
                    break;
                }
                case 5:
                    Array.Resize(ref b, rng.Next(b.Length));
                    break;
                case 6:
                {
                    // A small value added to a word: off-by-one lengths and offsets.
                    at &= ~3;
                    if (at + 4 <= b.Length)
                        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(at), unchecked(BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(at)) + rng.Next(-16, 17)));
                    break;
                }
                default:
                {
                    var junk = new byte[1 + rng.Next(64)];
                    rng.NextBytes(junk);
                    b = [.. b, .. junk];
                    break;
                }
            }
        }
        return b;
    }

    /// <summary>FNV-1a (string.GetHashCode is randomised per process; the pass must be reproducible).</summary>
    private static int StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
            h = (h ^ c) * 16777619;
        return (int)(h & 0x7fffffff);
    }
}
