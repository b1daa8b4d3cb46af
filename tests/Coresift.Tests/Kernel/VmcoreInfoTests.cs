using Coresift.Kernel;

namespace Coresift.Tests.Kernel;

public class VmcoreInfoTests
{
    private const string Sample = """
        OSRELEASE=6.1.0-56-amd64
        PAGESIZE=4096
        SYMBOL(mem_section)=ffff8cfd8ffd5000
        SIZE(page)=64
        OFFSET(page._mapcount)=48
        LENGTH(zone.free_area)=11
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        NUMBER(phys_base)=-650117120
        NUMBER(VMALLOC_START)=0xffffc90000000000
        NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=4110417920
        KERNELOFFSET=2de00000
        CRASHTIME=1795689411
        garbage line without equals
        =no key
        SIZE(page)=128
        """;

    [Fact]
    public void Parses_every_kind_of_entry_in_the_kernels_formats()
    {
        var info = VmcoreInfo.Parse(Sample);
        Assert.Equal("6.1.0-56-amd64", info.OsRelease);
        Assert.Equal(4096, info.PageSize);
        Assert.Equal(0xffff8cfd8ffd5000UL, info.Symbol("mem_section"));
        Assert.Equal(64, info.Size("page")); // the first of duplicate keys wins
        Assert.Equal(48, info.Offset("page._mapcount"));
        Assert.Equal(11, info.Length("zone.free_area"));
        Assert.Equal(-129, info.Number("PAGE_BUDDY_MAPCOUNT_VALUE"));
        Assert.Equal(-650117120, info.Number("phys_base"));
        Assert.Equal(unchecked((long)0xffffc90000000000UL), info.Number("VMALLOC_START"));
        Assert.Equal(4110417920L, info.Number("PAGE_SLAB_MAPCOUNT_VALUE"));
        Assert.Equal(0x2de00000UL, info.KernelOffset);
        Assert.Equal(1795689411L, info.CrashTime);
    }

    [Fact]
    public void Missing_keys_are_null_and_required_ones_name_what_is_missing()
    {
        var info = VmcoreInfo.Parse(Sample);
        Assert.Null(info.Offset("page.compound_order"));
        Assert.Null(info.Symbol("prb"));
        var e = Assert.Throws<Coresift.Common.BadInputException>(() => info.RequireOffset("page.flags"));
        Assert.Contains("OFFSET(page.flags)", e.Message);
    }

    [Fact]
    public void Oversized_text_is_refused()
    {
        var big = new byte[2 << 20];
        Array.Fill(big, (byte)'A');
        Assert.Throws<Coresift.Common.BadInputException>(() => VmcoreInfo.Parse(big, Coresift.Common.Limits.Default));
    }
}
