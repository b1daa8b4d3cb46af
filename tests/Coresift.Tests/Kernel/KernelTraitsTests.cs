using Coresift.Kernel;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Kernel;

public class KernelTraitsTests
{
    private static KernelTraits For(Generation g) =>
        KernelTraits.FromVmcoreInfo(VmcoreInfo.Parse(new SyntheticKernel(g, [(0, 0x1000000)]).VmcoreinfoText()));

    [Fact]
    public void Linux_4_14_uses_exact_buddy_value_and_16_bit_order()
    {
        var t = For(Generation.Linux4_14);
        Assert.Equal(PageTypeEncoding.Equals, t.Buddy.Encoding);
        Assert.Equal(PageTypeEncoding.FlagBit, t.Slab.Encoding);
        Assert.Equal(CompoundOrderSource.PageField16, t.OrderSource);
        Assert.Equal(18, t.OrderOffset);
        Assert.Equal(HugetlbSource.Dtor16, t.HugetlbSource);
        Assert.False(t.Offline.IsKnown);
    }

    [Fact]
    public void Linux_6_1_uses_cleared_bits_and_8_bit_order()
    {
        var t = For(Generation.Linux6_1);
        Assert.Equal(PageTypeEncoding.ClearedBit, t.Buddy.Encoding);
        Assert.Equal(CompoundOrderSource.PageField8, t.OrderSource);
        Assert.Equal(17, t.OrderOffset);
        Assert.Equal(HugetlbSource.Dtor8, t.HugetlbSource);
        Assert.True(t.Offline.IsKnown);
    }

    [Fact]
    public void Linux_6_12_uses_type_bytes_and_reads_the_order_from_the_first_tail_flags()
    {
        var t = For(Generation.Linux6_12);
        Assert.Equal(PageTypeEncoding.TopByte, t.Buddy.Encoding);
        Assert.Equal(0xf0u, t.Buddy.Value);
        Assert.Equal(PageTypeEncoding.TopByte, t.Slab.Encoding);
        Assert.Equal(CompoundOrderSource.TailFlagsLowByte, t.OrderSource);
        Assert.Equal(HugetlbSource.HeadPageType, t.HugetlbSource);
        Assert.True(t.Unaccepted.IsKnown);
    }

    [Fact]
    public void Linux_6_3_to_6_5_folio_offsets_are_relative_to_the_first_tail_page()
    {
        var info = VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page.mapping)=24\nOFFSET(page.compound_head)=8\nOFFSET(folio._folio_order)=81\nOFFSET(folio._folio_dtor)=80\nNUMBER(HUGETLB_PAGE_DTOR)=2\n");
        var t = KernelTraits.FromVmcoreInfo(info);
        Assert.Equal(CompoundOrderSource.PageField8, t.OrderSource);
        Assert.Equal(17, t.OrderOffset);
        Assert.Equal(HugetlbSource.Dtor8, t.HugetlbSource);
        Assert.Equal(16, t.DtorOffset);
    }

    [Fact]
    public void Linux_6_6_to_6_8_hugetlb_is_a_flag_of_the_first_tail_page()
    {
        var info = VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page.mapping)=24\nOFFSET(page.compound_head)=8\nNUMBER(PG_hugetlb)=6\n");
        var t = KernelTraits.FromVmcoreInfo(info);
        Assert.Equal(CompoundOrderSource.TailFlagsLowByte, t.OrderSource);
        Assert.Equal(HugetlbSource.TailFlagBit, t.HugetlbSource);
        Assert.Equal(6, t.PgHugetlb);
    }

    [Fact]
    public void Linux_7_1_compound_info_is_read_for_tails()
    {
        var info = VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page.mapping)=24\nOFFSET(page.compound_info)=8\n");
        Assert.Equal(8, KernelTraits.FromVmcoreInfo(info).CompoundHeadOffset);
    }
}
