using System.Text;
using Xunit.Abstractions;

namespace Coresift.Tests.Integration;

/// <summary>
/// The reader tier: crash and drgn must open the files coresift writes (tests/readers/check-dump.sh).
/// It needs the kernel's debug info (linux-image-&lt;release&gt;-dbg, about 5.6 GB installed), crash and python3-drgn.
/// Without the debug info the tests return early with a note, even under CI: the package is optional.
/// </summary>
public class ReaderTierTests(ITestOutputHelper output)
{
    /// <summary>Variants of coresift output to check: a name and the options before the input and output paths.</summary>
    public static readonly TheoryData<string, string[]> Variants = new()
    {
        { "d31", ["-d", "31"] },
        { "c31", ["-c", "-d", "31"] },
        { "l31", ["-l", "-d", "31"] },
        { "p31", ["-p", "-d", "31"] },
        { "z31", ["-z", "-d", "31"] },
        { "c1", ["-c", "-d", "1"] },
        { "E31", ["-E", "-d", "31"] },
    };

    private static string Script => Path.Combine(TestEnvironment.RepoRoot, "tests", "readers", "check-dump.sh");

    /// <summary>The kernel release in a dump's VMCOREINFO (OSRELEASE=...), found in its first 8 MiB, or null.</summary>
    internal static string? ReleaseOf(string dump)
    {
        using var f = File.OpenRead(dump);
        var buf = new byte[(int)Math.Min(f.Length, 8 << 20)];
        f.ReadExactly(buf);
        int i = buf.AsSpan().IndexOf("OSRELEASE="u8);
        if (i < 0)
            return null;
        int start = i + "OSRELEASE=".Length, end = start;
        while (end < buf.Length && buf[end] > 0x20 && buf[end] < 0x7f)
            end++;
        return end > start ? Encoding.ASCII.GetString(buf, start, end - start) : null;
    }

    /// <summary>The vmlinux with DWARF for a kernel release, when its -dbg package is installed.</summary>
    internal static string? VmlinuxFor(string release) =>
        new[] { $"/usr/lib/debug/boot/vmlinux-{release}", $"/usr/lib/debug/lib/modules/{release}/vmlinux" }.FirstOrDefault(File.Exists);

    /// <summary>True when any kernel's debug info is installed: checked first, so that machines without it skip at once.</summary>
    private static bool AnyDebugVmlinux =>
        Directory.Exists("/usr/lib/debug/boot") && Directory.EnumerateFiles("/usr/lib/debug/boot", "vmlinux-*").Any();

    /// <summary>The sample's vmlinux, or null with a note saying why the tier does not run.</summary>
    private string? SampleVmlinux()
    {
        if (!AnyDebugVmlinux)
        {
            output.WriteLine("reader tier not run: no kernel debug info under /usr/lib/debug/boot (apt-get install linux-image-6.1.0-56-amd64-dbg; see tests/readers/README.md)");
            return null;
        }
        string? release = ReleaseOf(TestEnvironment.SampleVmcore);
        Assert.False(release is null, "the sample vmcore has no OSRELEASE in its VMCOREINFO");
        if (VmlinuxFor(release!) is not { } vmlinux)
        {
            output.WriteLine($"reader tier not run: no vmlinux for {release} (apt-get install linux-image-{release}-dbg)");
            return null;
        }
        return vmlinux;
    }

    /// <summary>Runs check-dump.sh; returns false (with a note) when a reader is not installed (exit 3).</summary>
    private bool Check(string dump, string vmlinux, params string[] options)
    {
        var (rc, stdout, stderr) = TestEnvironment.Run("bash", [Script, .. options, dump, vmlinux], timeoutMs: 1_200_000);
        output.WriteLine(stdout.TrimEnd());
        if (stderr.Length > 0)
            output.WriteLine(stderr.TrimEnd());
        if (rc == 3)
        {
            output.WriteLine("reader tier not run: a reader is missing (apt-get install crash python3-drgn)");
            return false;
        }
        Assert.True(rc == 0, $"check-dump.sh {Path.GetFileName(dump)}: exit {rc}\n{stdout}\n{stderr}");
        return true;
    }

    /// <summary>Runs coresift in-process (-F writes binaryOut, -R reads binaryIn); null (with a note) when it says the variant is not supported yet.</summary>
    private bool? MakeDump(string variant, string[] args, Stream? binaryOut = null, Stream? binaryIn = null)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = global::Coresift.App.Commands.CommandRunner.Run(args, o, e, binaryOut, binaryIn);
        string stdout = o.ToString(), stderr = e.ToString();
        if (rc != 0 && (stdout + stderr).Contains("not supported yet", StringComparison.Ordinal))
        {
            string why = (stderr + stdout).Split('\n').FirstOrDefault(l => l.Contains("not supported yet")) ?? "";
            output.WriteLine($"{variant}: skipped, coresift does not support it yet: {why.Trim()}");
            return null;
        }
        Assert.True(rc == 0, $"coresift {string.Join(' ', args)} failed ({rc}): {stderr}{stdout}");
        return true;
    }

    private static string TempPath(string name) =>
        Path.Combine(Path.GetTempPath(), $"coresift-readers-{Guid.NewGuid():N}-{name}");

    [Fact]
    public void The_sample_vmcore_itself_opens_in_crash_and_drgn()
    {
        // The baseline: if the readers cannot read the input, nothing they say about coresift's output counts.
        if (SampleVmlinux() is not { } vmlinux)
            return;
        Check(TestEnvironment.SampleVmcore, vmlinux);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Coresift_output_opens_in_crash_and_drgn(string variant, string[] options)
    {
        if (SampleVmlinux() is not { } vmlinux)
            return;
        string dump = TempPath(variant + ".dump");
        try
        {
            if (MakeDump(variant, [.. options, TestEnvironment.SampleVmcore, dump]) is null)
                return;
            Check(dump, vmlinux);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    [Fact]
    public void Split_then_reassembled_output_opens_in_crash_and_drgn()
    {
        if (SampleVmlinux() is not { } vmlinux)
            return;
        string[] parts = [TempPath("split1"), TempPath("split2"), TempPath("split3")];
        string whole = TempPath("reassembled.dump");
        try
        {
            if (MakeDump("split", ["--split", "-c", "-d", "31", TestEnvironment.SampleVmcore, .. parts]) is null)
                return;
            if (MakeDump("reassemble", ["--reassemble", .. parts, whole]) is null)
                return;
            Check(whole, vmlinux);
        }
        finally
        {
            foreach (var p in parts.Append(whole))
                File.Delete(p);
        }
    }

    [Fact]
    public void Refiltered_output_opens_in_crash_and_drgn()
    {
        // A kdump-compressed file as input: -d 1 first, then refiltered to -d 31 with another codec.
        if (SampleVmlinux() is not { } vmlinux)
            return;
        string first = TempPath("refilter-src.dump"), second = TempPath("refiltered.dump");
        try
        {
            if (MakeDump("refilter (source)", ["-c", "-d", "1", TestEnvironment.SampleVmcore, first]) is null)
                return;
            if (MakeDump("refilter", ["-z", "-d", "31", first, second]) is null)
                return;
            Check(second, vmlinux);
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
        }
    }

    [Fact]
    public void Flattened_and_rearranged_output_opens_in_the_readers()
    {
        // crash reads the flattened file itself; drgn 0.0.22 cannot (check-dump.sh notes that), so -R is checked too.
        if (SampleVmlinux() is not { } vmlinux)
            return;
        string flat = TempPath("flat.dump"), rearranged = TempPath("rearranged.dump");
        try
        {
            bool? made;
            using (var fs = File.Create(flat))
                made = MakeDump("-F", ["-F", "-c", "-d", "31", TestEnvironment.SampleVmcore], binaryOut: fs);
            if (made is null || !Check(flat, vmlinux))
                return;
            using (var fs = File.OpenRead(flat))
                made = MakeDump("-R", ["-R", rearranged], binaryIn: fs);
            if (made is null)
                return;
            Check(rearranged, vmlinux);
        }
        finally
        {
            File.Delete(flat);
            File.Delete(rearranged);
        }
    }

    [Fact]
    public void Coresift_output_of_extra_vmcores_opens_in_drgn_and_crash()
    {
        // CORESIFT_EXTRA_VMCORES (e.g. 6.12 dumps from tests/vm/make-vmcore.sh); each runs when its vmlinux is installed.
        if (TestEnvironment.ExtraVmcores.Count == 0)
        {
            output.WriteLine("no CORESIFT_EXTRA_VMCORES given");
            return;
        }
        foreach (var vmcore in TestEnvironment.ExtraVmcores)
        {
            string? release = ReleaseOf(vmcore);
            if (release is null || VmlinuxFor(release) is not { } vmlinux)
            {
                output.WriteLine($"{Path.GetFileName(vmcore)}: not checked, no vmlinux for {release ?? "an unknown release"}");
                continue;
            }
            string dump = TempPath("extra-z31.dump");
            try
            {
                if (MakeDump("extra -z -d 31", ["-z", "-d", "31", vmcore, dump]) is null)
                    continue;
                if (!Check(dump, vmlinux))
                    return;
            }
            finally
            {
                File.Delete(dump);
            }
        }
    }
}
