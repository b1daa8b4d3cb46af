using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Coresift.Tests.Integration;

/// <summary>QEMU's own kdump-compressed dumps (flattened, as QEMU 7.2 writes them) refilter like the ELF dump of the same guest.</summary>
public class QemuKdumpTests(ITestOutputHelper output)
{
    /// <summary>Pairs "ELF|KDUMP" of the same stopped guest, from CORESIFT_QEMU_KDUMP (';'-separated), made by tests/vm/make-vmcore.sh --qemu-kdump.</summary>
    private static IEnumerable<(string Elf, string Kdump)> Pairs() =>
        (Environment.GetEnvironmentVariable("CORESIFT_QEMU_KDUMP") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('|')).Where(p => p.Length == 2 && File.Exists(p[0]) && File.Exists(p[1])).Select(p => (p[0], p[1]));

    [Fact]
    public void Refiltering_QEMUs_kdump_file_gives_the_file_made_from_its_ELF_dump()
    {
        var pairs = Pairs().ToArray();
        output.WriteLine($"{pairs.Length} QEMU kdump files (CORESIFT_QEMU_KDUMP)");
        foreach (var (elf, kdump) in pairs)
        {
            string dir = Directory.CreateTempSubdirectory("coresift-qemu-").FullName;
            try
            {
                string fromKdump = Path.Combine(dir, "from-kdump"), fromElf = Path.Combine(dir, "from-elf");
                var (rc, _, err) = TestEnvironment.RunCoresift("-z", "-d", "31", kdump, fromKdump);
                Assert.True(rc == 0, err);
                (rc, _, err) = TestEnvironment.RunCoresift("-z", "-d", "31", elf, fromElf);
                Assert.True(rc == 0, err);
                Assert.Equal(SHA256.HashData(File.ReadAllBytes(fromElf)), SHA256.HashData(File.ReadAllBytes(fromKdump)));
                output.WriteLine($"{Path.GetFileName(kdump)}: refiltered to -z -d 31, identical to the ELF dump's");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
