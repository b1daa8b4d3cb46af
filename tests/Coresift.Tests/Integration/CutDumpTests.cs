using Coresift.Codecs;
using Coresift.Common;
using Coresift.Input;
using Xunit.Abstractions;

namespace Coresift.Tests.Integration;

/// <summary>Dumps cut short (-L) keep the kernel's metadata: they refilter and their log reads.</summary>
public class CutDumpTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("coresift-cut-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData("-l", 10)]
    [InlineData("-c", 10)]
    [InlineData("-l", 50)]
    public void A_compressed_dump_cut_short_refilters_and_its_log_reads(string codec, int percent)
    {
        var (rc, _, err) = TestEnvironment.RunCoresift(codec, "-d", "31", TestEnvironment.SampleVmcore, P("full"));
        Assert.True(rc == 0, err);
        long limit = new FileInfo(P("full")).Length * percent / 100;
        (rc, var said, err) = TestEnvironment.RunCoresift(codec, "-d", "31", "-L", limit.ToString(System.Globalization.CultureInfo.InvariantCulture), TestEnvironment.SampleVmcore, P("cut"));
        Assert.Equal(1, rc);
        Assert.Contains("incomplete dumpfile", said + err);
        using (var cut = DumpInput.Open(P("cut"), Limits.Default))
            Assert.NotEqual(0u, cut.Kdump!.Status & KdumpFlags.Incomplete);

        // coresift refilters the cut dump (it needs page tables, mem_section and struct pages for -d 31).
        (rc, _, err) = TestEnvironment.RunCoresift("-d", "31", P("cut"), P("refiltered"));
        Assert.True(rc == 0, err);
        (rc, _, err) = TestEnvironment.RunCoresift("--dump-dmesg", P("cut"), P("log"));
        Assert.True(rc == 0, err);
        (rc, _, err) = TestEnvironment.RunCoresift("--dump-dmesg", TestEnvironment.SampleVmcore, P("log-full"));
        Assert.True(rc == 0, err);
        Assert.Equal(File.ReadAllBytes(P("log-full")), File.ReadAllBytes(P("log")));

        if (TestEnvironment.Makedumpfile is not { } mdf)
        {
            Assert.False(TestEnvironment.IsCi, "makedumpfile must be installed in CI");
            output.WriteLine("makedumpfile not installed: its refilter not run");
            return;
        }
        (rc, _, err) = TestEnvironment.Run(mdf, ["-d", "31", P("cut"), P("mdf-refiltered")]);
        Assert.True(rc == 0, $"makedumpfile refilter of a {percent}% cut dump: {err}");
        (rc, _, err) = TestEnvironment.Run(mdf, ["--dump-dmesg", P("cut"), P("mdf-log")]);
        Assert.True(rc == 0, $"makedumpfile --dump-dmesg of a {percent}% cut dump: {err}");
    }
}
