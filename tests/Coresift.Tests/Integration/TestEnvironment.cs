using System.Diagnostics;

namespace Coresift.Tests.Integration;

/// <summary>Where the repository, the sample vmcore, the published binary and makedumpfile are.</summary>
public static class TestEnvironment
{
    private static readonly Lazy<string> s_root = new(FindRoot);
    private static readonly Lazy<string> s_sample = new(PrepareSample);

    /// <summary>The repository root (the folder holding global.json).</summary>
    public static string RepoRoot => s_root.Value;

    /// <summary>The decompressed sample vmcore (QEMU 7.2 raw ELF, program headers at 192).</summary>
    public static string SampleVmcore => s_sample.Value;

    /// <summary>The published static binary, when build.sh test provides it.</summary>
    public static string? Binary => Environment.GetEnvironmentVariable("CORESIFT_BINARY") is { Length: > 0 } b && File.Exists(b) ? b : null;

    /// <summary>makedumpfile, when installed.</summary>
    public static string? Makedumpfile => new[] { "/usr/sbin/makedumpfile", "/usr/bin/makedumpfile", "/sbin/makedumpfile" }.FirstOrDefault(File.Exists);

    /// <summary>Extra vmcores to compare on (CORESIFT_EXTRA_VMCORES, colon-separated), e.g. made by tests/vm/make-vmcore.sh.</summary>
    public static IReadOnlyList<string> ExtraVmcores =>
        (Environment.GetEnvironmentVariable("CORESIFT_EXTRA_VMCORES") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Where(File.Exists).ToArray();

    /// <summary>True under CI (where a missing dependency is an error, not a reason to skip).</summary>
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is "true" or "1";

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "global.json")) && Directory.Exists(Path.Combine(d.FullName, "tests", "data")))
                return d.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static string PrepareSample()
    {
        if (Environment.GetEnvironmentVariable("CORESIFT_SAMPLE_VMCORE") is { Length: > 0 } given && File.Exists(given))
            return given;
        string zst = Path.Combine(RepoRoot, "tests", "data", "sample-6.1.vmcore.zst");
        string target = Path.Combine(RepoRoot, "out", "sample", "sample-6.1.vmcore");
        if (File.Exists(target) && File.GetLastWriteTimeUtc(target) >= File.GetLastWriteTimeUtc(zst))
            return target;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var (rc, _, err) = Run("zstd", ["-q", "-d", "-f", "--long=27", "--sparse", zst, "-o", target]);
        if (rc != 0)
            throw new InvalidOperationException($"cannot decompress the sample vmcore (is zstd installed? ./build.sh test installs it): {err}");
        return target;
    }

    /// <summary>Runs a program to completion and returns its exit code and output.</summary>
    public static (int Rc, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, int timeoutMs = 300_000)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in {timeoutMs} ms");
        }
        return (p.ExitCode, so.Result, se.Result);
    }

    /// <summary>Runs coresift in-process with the given arguments.</summary>
    public static (int Rc, string Stdout, string Stderr) RunCoresift(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = Coresift.App.Commands.CommandRunner.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }
}
