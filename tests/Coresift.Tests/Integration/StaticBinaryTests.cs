namespace Coresift.Tests.Integration;

/// <summary>The published binary is static, runs in an empty root, and gives the same counts as the library.</summary>
public class StaticBinaryTests
{
    [Fact]
    public void The_binary_is_static_and_runs_in_an_empty_chroot()
    {
        if (TestEnvironment.Binary is not { } bin)
        {
            Assert.False(TestEnvironment.IsCi, "CORESIFT_BINARY must be set in CI");
            return;
        }
        var (_, lddOut, lddErr) = TestEnvironment.Run("ldd", [bin]);
        Assert.Contains("not a dynamic executable", lddOut + lddErr);

        if (Environment.UserName != "root")
            return; // chroot needs root; CI runs as root
        string root = Path.Combine(Path.GetTempPath(), $"coresift-chroot-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            File.Copy(bin, Path.Combine(root, "coresift"));
            // Hard-link or copy the sample in; the chroot has nothing else: no /lib, /proc, /dev.
            string vmcore = Path.Combine(root, "vmcore");
            var (cpRc, _, cpErr) = TestEnvironment.Run("cp", ["--sparse=always", TestEnvironment.SampleVmcore, vmcore]);
            Assert.True(cpRc == 0, cpErr);
            var (rc, stdout, stderr) = TestEnvironment.Run("chroot", [root, "/coresift", "--dry-run", "--message-level", "16", "-d", "31", "/vmcore", "/out"]);
            Assert.True(rc == 0, stderr);
            var inChroot = StatsReport.Parse(stdout);
            var (_, libOut, _) = TestEnvironment.RunCoresift("--dry-run", "--message-level", "16", "-d", "31", TestEnvironment.SampleVmcore, "/out");
            Assert.Equal(StatsReport.Parse(libOut).Describe(), inChroot.Describe());
            Assert.False(File.Exists(Path.Combine(root, "out")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
