using Coresift.Common;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Kernel;

public class MemMapTests
{
    /// <summary>The kernel model of a synthetic vmcore; disposing the result closes the input and deletes the file.</summary>
    private static (KernelModel Model, Opened File) Open(SyntheticKernel k)
    {
        var f = new TempVmcore(k.ToElf());
        var input = DumpInput.Open(f.Path, Limits.Default);
        return (KernelModel.Build(input, Limits.Default, needPageStructs: true), new Opened(input, f));
    }

    /// <summary>Keeps the input open while the model is in use.</summary>
    private sealed class Opened(DumpInput input, TempVmcore file) : IDisposable
    {
        public void Dispose()
        {
            input.Dispose();
            file.Dispose();
        }
    }

    [Theory]
    [InlineData(MemModelKind.VmemmapExtreme, MemoryModel.SparsemEmExtreme)]
    [InlineData(MemModelKind.StaticSparse, MemoryModel.SparsemEmStatic)]
    [InlineData(MemModelKind.Flat, MemoryModel.Flatmem)]
    public void Every_memory_model_finds_the_same_struct_pages(MemModelKind kind, MemoryModel expected)
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 0x2100000)], physBits: kind == MemModelKind.StaticSparse ? 28 : 36, model: kind);
        k.SetBuddy(0x400, 9);
        k.SetAnon(0x1000);
        k.SetPageCache(0x1001, privateData: true);
        var (model, file) = Open(k);
        using (file)
        {
            Assert.Equal(expected, model.MemMap!.Model);
            foreach (ulong pfn in new ulong[] { 0x100, 0x400, 0x1000, 0x20ff })
            {
                var r = model.MemMap.Ranges.Single(x => x.StartPfn <= pfn && pfn < x.EndPfn);
                ulong vaddr = r.MemMapAddress + (pfn - r.StartPfn) * 64;
                Assert.True(model.AddressSpace!.TryTranslate(vaddr, out ulong paddr, out _));
                Assert.Equal(k.StructPageAddress(pfn), paddr);
            }
            var filter = new Coresift.Filter.DumpFilter(model, DumpLevel.All);
            filter.Run(countZeroPages: false);
            Assert.Equal(512UL, filter.Stats.Free);
            Assert.Equal(1UL, filter.Stats.User);
            Assert.Equal(1UL, filter.Stats.PrivateCache);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Page_offset_and_vmemmap_base_are_derived_from_the_page_tables(int levels)
    {
        var k = new SyntheticKernel(Generation.Linux6_12, [(0x100000, 0x2100000)], levels: levels);
        var (model, file) = Open(k);
        using (file)
        {
            Assert.Equal(k.PageOffset, model.Layout.PageOffset);
            Assert.Equal("page tables", model.Layout.PageOffsetSource);
            Assert.Equal(k.Vmemmap, model.Layout.VmemmapBase);
        }
    }

    [Fact]
    public void Page_offset_comes_from_direct_map_PT_LOADs_when_the_dump_has_them()
    {
        var loads = new[] { new ProgramHeader(1, 7, 0x1000, 0xffffffff81000000, 0x1000000, 0x100000, 0x100000, 0),
                            new ProgramHeader(1, 7, 0x2000, 0xffff9a0000100000, 0x100000, 0x800000, 0x800000, 0) };
        Assert.Equal(0xffff9a0000000000UL, KernelLayout.FromLoads(loads, 0xffff800000000000));
        Assert.Null(KernelLayout.FromLoads([new ProgramHeader(1, 7, 0, 0, 0x100000, 0x1000, 0x1000, 0)], 0xffff800000000000));
    }

    [Fact]
    public void Sections_pointing_outside_kernel_space_are_ignored()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 0x2100000)]);
        // Corrupt section 5's coded mem_map so it decodes to a user-space address.
        ulong root = k.ReadPhys64(k.MemSectionRoots) - k.PageOffset;
        k.WritePhys64(root + 5 * 32, 0x00007f0000000001);
        var (model, file) = Open(k);
        using (file)
            Assert.DoesNotContain(model.MemMap!.Ranges, r => r.StartPfn <= 5 * 256 && 5 * 256 < r.EndPfn);
    }
}
