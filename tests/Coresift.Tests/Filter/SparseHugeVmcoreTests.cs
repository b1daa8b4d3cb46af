using Coresift.Common;
using Coresift.Input;
using Coresift.Tests.Integration;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Filter;

/// <summary>
/// A machine with terabytes of physical address space but little RAM (RAM at the bottom and at the top): max_mapnr is
/// huge, so full bitmaps would be far larger than a tight memory budget, and the dump must still complete in cycles.
/// </summary>
/// <remarks>
/// tests/reliability/memcap.sh uses <see cref="Write_the_vmcore_for_memcap_sh"/> to get a 4 TiB one
/// (CORESIFT_SPARSE_VMCORE_OUT=path, CORESIFT_SPARSE_VMCORE_TIB=4).
/// </remarks>
public class SparseHugeVmcoreTests
{
    /// <summary>
    /// 32 MiB of RAM with the kernel at the bottom, and ramMiB more just below the top of a tib TiB address space, with
    /// page structs for both (SPARSEMEM_EXTREME, 128 MiB sections, 43 physical bits).
    /// </summary>
    public static byte[] Vmcore(int tib, int ramMiB = 16)
    {
        ulong top = (ulong)tib << 40, ram = (ulong)ramMiB << 20;
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 32UL << 20), (top - ram, top)], sectionBits: 27, physBits: 43, kernelRange: 0);
        var rng = new Random(3);
        foreach (ulong basePfn in new[] { 0x100UL, (top - ram) >> 12 })
        {
            for (ulong pfn = basePfn; pfn < basePfn + 0x800; pfn++)
            {
                var page = k.Page(pfn);
                if (pfn % 2 == 0) rng.NextBytes(page);
                else Array.Fill(page, (byte)pfn);
            }
        }
        k.SetBuddy(0x1000, 8);
        k.SetBuddy(((top - ram) >> 12) + 0x900, 8);
        return k.ToElf();
    }

    [Fact]
    public void A_one_TiB_sparse_machine_dumps_the_same_in_many_cycles_as_in_one()
    {
        using var vmcore = new TempVmcore(Vmcore(1));
        string one = vmcore.Path + ".one", many = vmcore.Path + ".many";
        try
        {
            var (rc, _, err) = TestEnvironment.RunCoresift("-l", "-d", "31", vmcore.Path, one);
            Assert.True(rc == 0, err);
            // 1 MiB per bitmap: 8 Mi pfns per cycle, 32 cycles over 256 Mi pfns (a full bitmap is 32 MiB).
            string stdout;
            (rc, stdout, err) = TestEnvironment.RunCoresift("-l", "-d", "31", "--cyclic-buffer", "1024", "--message-level", "31", vmcore.Path, many);
            Assert.True(rc == 0, err);
            Assert.Contains("cycles       : 32 of 8388608 pfns", stdout);
            using (var file = VmcoreFile.Open(many))
            {
                var dump = new KdumpFile(file, Limits.Default);
                Assert.Equal(1UL << 28, dump.MaxMapnr);
                using var input = DumpInput.Open(vmcore.Path, Limits.Default);
                var a = new byte[4096];
                var b = new byte[4096];
                ulong pages = 0;
                for (ulong pfn = dump.Dumpable.NextSet(0); pfn != ulong.MaxValue; pfn = dump.Dumpable.NextSet(pfn + 1))
                {
                    Assert.True(dump.TryReadPage(pfn, a));
                    Assert.True(input.Memory.TryRead(pfn << 12, b));
                    Assert.True(a.AsSpan().SequenceEqual(b), $"pfn {pfn:x}");
                    pages++;
                }
                Assert.True(pages >= 0x1000);
                Assert.True(dump.Dumpable.Test(((1UL << 40) >> 12) - 1)); // the top page of the top RAM range
            }
            Assert.True(File.ReadAllBytes(one).AsSpan().SequenceEqual(File.ReadAllBytes(many)));
        }
        finally
        {
            File.Delete(one);
            File.Delete(many);
        }
    }

    /// <summary>Writes the sparse vmcore for tests/reliability/memcap.sh when asked to; does nothing otherwise.</summary>
    [Fact]
    public void Write_the_vmcore_for_memcap_sh()
    {
        if (Environment.GetEnvironmentVariable("CORESIFT_SPARSE_VMCORE_OUT") is not { Length: > 0 } path)
            return;
        int tib = int.TryParse(Environment.GetEnvironmentVariable("CORESIFT_SPARSE_VMCORE_TIB"), out int t) ? t : 4;
        File.WriteAllBytes(path, Vmcore(tib));
    }
}
