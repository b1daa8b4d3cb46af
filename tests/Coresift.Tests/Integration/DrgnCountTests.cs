using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Coresift.Tests.Integration;

/// <summary>
/// coresift's page counts against an independent count by drgn (tests/readers/drgn_count.py), which walks every
/// struct page with the kernel's own debug info (DWARF offsets, enum pageflags, enum pagetype) and the kernel's
/// own definitions of each category. Then drgn must read coresift's <c>-l -d 31</c> output of the same vmcore:
/// every task, the kernel log, no excluded page (tests/readers/drgn_check.py).
/// </summary>
/// <remarks>
/// <para>It needs python3-drgn for /usr/bin/python3 and the dump kernel's vmlinux with DWARF
/// (linux-image-&lt;release&gt;-dbg). Without them the tests return early with a note, under CI too: the packages are
/// optional and large (see tests/readers/README.md).</para>
/// <para>What is compared, and why the figures are equal by construction when both are right:</para>
/// <list type="bullet">
/// <item>drgn_count.py counts only pfns whose bytes are in a PT_LOAD (p_filesz), as coresift does. Pfns outside every
/// PT_LOAD (the crash kernel's reserved range of a /proc/vmcore, QEMU's device memory) and pfns past max_mapnr are
/// not in coresift's bitmaps; the script leaves them out of its main figures and reports them under "unfiltered".</item>
/// <item>Its categories are exclusive and tested in coresift's order (free, non-private cache, private cache, user);
/// a tail page is decided by its head, and a buddy block or large folio counts every page of it.</item>
/// <item>Free pages equal the kernel's own counter taken as zone_page_state_snapshot() takes it: the zones'
/// vm_stat[NR_FREE_PAGES] plus the per-CPU deltas not yet folded in (kernel_free_counter_exact). The zones' sum
/// alone (kernel_free_counter) lags by those deltas when the kernel stopped between two vmstat folds; a kexec
/// capture of a panic can show that (4 pages on one 6.12 dump), so the test asserts the sum plus the deltas.</item>
/// </list>
/// </remarks>
public class DrgnCountTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3"; // Debian's python3-drgn is installed for this interpreter only

    private static string CountScript => Path.Combine(TestEnvironment.RepoRoot, "tests", "readers", "drgn_count.py");
    private static string CheckScript => Path.Combine(TestEnvironment.RepoRoot, "tests", "readers", "drgn_check.py");

    private static readonly Lazy<bool> s_drgn = new(() =>
        File.Exists(Python) && TestEnvironment.Run(Python, ["-c", "import drgn"], timeoutMs: 60_000).Rc == 0);

    /// <summary>The figures drgn_count.py prints.</summary>
    private sealed record DrgnCount(string Release, ulong Free, ulong User, ulong Cache, ulong CachePrivate,
        long KernelFreeCounter, long KernelFreeCounterExact, ulong PagesWalked, string Json);

    /// <summary>The dump's vmlinux, or null with a note when drgn or the vmlinux is missing (not a failure).</summary>
    private string? Vmlinux(string vmcore)
    {
        string name = Path.GetFileName(vmcore);
        if (!s_drgn.Value)
        {
            output.WriteLine($"{name}: drgn count not run: {Python} cannot import drgn (apt-get install python3-drgn; see tests/readers/README.md)");
            return null;
        }
        string? release = ReaderTierTests.ReleaseOf(vmcore);
        if (release is null)
        {
            output.WriteLine($"{name}: drgn count not run: no OSRELEASE in the dump's VMCOREINFO");
            return null;
        }
        if (ReaderTierTests.VmlinuxFor(release) is not { } vmlinux)
        {
            output.WriteLine($"{name}: drgn count not run: no vmlinux for {release} (apt-get install linux-image-{release}-dbg)");
            return null;
        }
        return vmlinux;
    }

    private DrgnCount CountWithDrgn(string vmcore, string vmlinux)
    {
        var sw = Stopwatch.StartNew();
        var (rc, stdout, stderr) = TestEnvironment.Run(Python, [CountScript, vmcore, vmlinux], timeoutMs: 600_000);
        Assert.True(rc == 0, $"drgn_count.py {Path.GetFileName(vmcore)}: exit {rc}\n{stdout}\n{stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        ulong U(string key) => r.GetProperty(key).GetUInt64();
        var count = new DrgnCount(r.GetProperty("release").GetString()!, U("free"), U("user"), U("cache"), U("cache_private"),
            r.GetProperty("kernel_free_counter").GetInt64(), r.GetProperty("kernel_free_counter_exact").GetInt64(), U("pages_walked"), stdout.Trim());
        output.WriteLine($"{Path.GetFileName(vmcore)}: drgn_count.py {sw.Elapsed.TotalSeconds:F1} s: {count.Json}");
        return count;
    }

    /// <summary>Compares coresift's -d 31 report with drgn's count; returns the disagreements (empty when equal).</summary>
    private List<string> CompareCounts(string vmcore, string vmlinux)
    {
        string name = Path.GetFileName(vmcore);
        var drgn = CountWithDrgn(vmcore, vmlinux);
        var sw = Stopwatch.StartNew();
        var (rc, stdout, stderr) = TestEnvironment.RunCoresift("--dry-run", "--message-level", "16", "-d", "31", vmcore, "/nonexistent/x");
        Assert.True(rc == 0, $"coresift --dry-run -d 31 {name} failed ({rc}): {stderr}{stdout}");
        var mine = StatsReport.Parse(stdout).Counts;
        output.WriteLine($"{name}: coresift {sw.Elapsed.TotalSeconds:F1} s");

        var rows = new (string Label, ulong Coresift, ulong Drgn)[]
        {
            ("Free pages", mine["Free pages"], drgn.Free),
            ("User process data pages", mine["User process data pages"], drgn.User),
            ("Non-private cache pages", mine["Non-private cache pages"], drgn.Cache),
            ("Private cache pages", mine["Private cache pages"], drgn.CachePrivate),
        };
        var failures = new List<string>();
        output.WriteLine($"{name} ({drgn.Release}, {drgn.PagesWalked} struct pages walked by drgn):");
        output.WriteLine($"  {"category",-26}{"coresift",10}{"drgn",10}");
        foreach (var (label, c, d) in rows)
        {
            output.WriteLine($"  {label,-26}{c,10}{d,10}{(c == d ? "" : "   DIFFERENT")}");
            if (c != d)
                failures.Add($"{name}: {label}: coresift {c}, drgn {d}");
        }
        output.WriteLine($"  kernel free counter: zones {drgn.KernelFreeCounter}, with per-CPU deltas {drgn.KernelFreeCounterExact}");
        if (drgn.KernelFreeCounterExact < 0 || (ulong)drgn.KernelFreeCounterExact != drgn.Free)
            failures.Add($"{name}: drgn's buddy count {drgn.Free} differs from the kernel's NR_FREE_PAGES {drgn.KernelFreeCounterExact} (zones {drgn.KernelFreeCounter} + per-CPU deltas)");
        if (drgn.KernelFreeCounter != drgn.KernelFreeCounterExact)
            output.WriteLine($"  note: the zones' vm_stat alone is {drgn.KernelFreeCounter}: per-CPU deltas of {drgn.KernelFreeCounterExact - drgn.KernelFreeCounter:+#;-#} pages were not folded into it yet");
        return failures;
    }

    /// <summary>Makes coresift's -l -d 31 dump (-c -d 31 when -l is not supported yet) and runs drgn_check.py on it.</summary>
    private List<string> CheckOutputInDrgn(string vmcore, string vmlinux)
    {
        string name = Path.GetFileName(vmcore);
        string dump = Path.Combine(Path.GetTempPath(), $"coresift-drgncount-{Guid.NewGuid():N}.dump");
        var failures = new List<string>();
        try
        {
            string[] options = ["-l", "-d", "31"];
            var sw = Stopwatch.StartNew();
            var (rc, stdout, stderr) = TestEnvironment.RunCoresift([.. options, vmcore, dump]);
            if (rc != 0 && (stdout + stderr).Contains("not supported yet", StringComparison.Ordinal))
            {
                output.WriteLine($"{name}: -l is not supported yet; checking -c -d 31 instead");
                File.Delete(dump);
                options = ["-c", "-d", "31"];
                (rc, stdout, stderr) = TestEnvironment.RunCoresift([.. options, vmcore, dump]);
            }
            Assert.True(rc == 0, $"coresift {string.Join(' ', options)} {name} failed ({rc}): {stderr}{stdout}");
            output.WriteLine($"{name}: coresift {string.Join(' ', options)} {sw.Elapsed.TotalSeconds:F1} s, {new FileInfo(dump).Length} bytes");
            sw.Restart();
            var (crc, cout, cerr) = TestEnvironment.Run(Python, [CheckScript, dump, vmlinux], timeoutMs: 600_000);
            output.WriteLine(cout.TrimEnd());
            if (cerr.Length > 0)
                output.WriteLine(cerr.TrimEnd());
            output.WriteLine($"{name}: drgn_check.py {sw.Elapsed.TotalSeconds:F1} s");
            // drgn_check.py fails on any FaultError: a task, the log or a counter on an excluded page.
            if (crc != 0)
                failures.Add($"{name}: drgn_check.py on coresift {string.Join(' ', options)}: exit {crc}\n{cout}{cerr}");
            else if (!cout.Contains("drgn: tasks: ", StringComparison.Ordinal) || !cout.Contains("drgn: printk: ", StringComparison.Ordinal))
                failures.Add($"{name}: drgn_check.py passed without walking the tasks and the log:\n{cout}");
        }
        finally
        {
            File.Delete(dump);
        }
        return failures;
    }

    [Fact]
    public void The_sample_vmcore_counts_equal_drgns_independent_count()
    {
        if (Vmlinux(TestEnvironment.SampleVmcore) is not { } vmlinux)
            return;
        var failures = CompareCounts(TestEnvironment.SampleVmcore, vmlinux);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Coresift_l31_output_of_the_sample_vmcore_reads_in_drgn()
    {
        if (Vmlinux(TestEnvironment.SampleVmcore) is not { } vmlinux)
            return;
        var failures = CheckOutputInDrgn(TestEnvironment.SampleVmcore, vmlinux);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Extra_vmcores_count_as_drgn_does_and_their_l31_output_reads_in_drgn()
    {
        // CORESIFT_EXTRA_VMCORES (e.g. 6.12 dumps of tests/vm/make-vmcore.sh and kexec-capture.sh); each runs when its vmlinux is installed.
        if (TestEnvironment.ExtraVmcores.Count == 0)
        {
            output.WriteLine("no CORESIFT_EXTRA_VMCORES given");
            return;
        }
        var failures = new List<string>();
        foreach (var vmcore in TestEnvironment.ExtraVmcores)
        {
            if (Vmlinux(vmcore) is not { } vmlinux)
                continue;
            failures.AddRange(CompareCounts(vmcore, vmlinux));
            failures.AddRange(CheckOutputInDrgn(vmcore, vmlinux));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
