using System.Diagnostics;
using Coresift.Input;
using Xunit.Abstractions;

namespace Coresift.Tests.Input;

/// <summary>The input's size: fstat for a file, lseek(SEEK_END) for a block device (whose st_size is 0).</summary>
public class VmcoreFileLengthTests(ITestOutputHelper output)
{
    [Fact]
    public void A_regular_file_has_its_size()
    {
        string path = Path.Combine(Path.GetTempPath(), $"coresift-len-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(path, new byte[12345]);
            Assert.Equal(12345, VmcoreFile.LengthOf(path));
            using var f = VmcoreFile.Open(path);
            Assert.Equal(12345, f.Length);
            File.WriteAllBytes(path, []);
            Assert.Equal(0, VmcoreFile.LengthOf(path)); // empty stays empty
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs losetup; its stdout, or null when it fails or is missing.</summary>
    private static string? Losetup(params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo("losetup") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args)
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? text.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    [Fact]
    public void A_block_device_has_its_size_and_reads_like_the_file()
    {
        // A read-only loop device over a file of known bytes (root with loop devices: CI); elsewhere not checked.
        if (Environment.UserName != "root")
        {
            output.WriteLine("not root: no loop device, not checked");
            return;
        }
        string path = Path.Combine(Path.GetTempPath(), $"coresift-blk-{Guid.NewGuid():N}");
        var bytes = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        string? dev = null;
        try
        {
            dev = Losetup("--find", "--show", "--read-only", path);
            if (dev is null || !dev.StartsWith("/dev/", StringComparison.Ordinal))
            {
                output.WriteLine("losetup failed or is missing: not checked");
                return;
            }
            Assert.Equal(bytes.Length, VmcoreFile.LengthOf(dev));
            using var f = VmcoreFile.Open(dev);
            Assert.Equal(bytes.Length, f.Length);
            var tail = new byte[4096];
            f.ReadExactly(bytes.Length - tail.Length, tail);
            Assert.True(tail.AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - tail.Length)));
            output.WriteLine($"{dev}: {f.Length} bytes, {(f.IsMapped ? "mapped" : "pread")}");
        }
        finally
        {
            if (dev is not null)
                Losetup("--detach", dev);
            File.Delete(path);
        }
    }
}
