using Coresift.Kernel;

namespace Coresift.Tests.Kernel;

public class PageTypeTestTests
{
    [Theory]
    [InlineData(-128L, PageTypeEncoding.Equals)]               // 2.6.39-4.17 buddy
    [InlineData(-2L, PageTypeEncoding.Equals)]                 // 2.6.38 buddy
    [InlineData(-129L, PageTypeEncoding.ClearedBit)]           // 4.18-6.11 buddy (~0x80)
    [InlineData(-257L, PageTypeEncoding.ClearedBit)]           // offline (~0x100)
    [InlineData(0xf0000000L, PageTypeEncoding.TopByte)]        // 6.12 buddy
    [InlineData(-268435456L, PageTypeEncoding.TopByte)]        // the same printed as a negative int
    [InlineData(0xf5000000L, PageTypeEncoding.TopByte)]        // 6.12 slab
    public void The_encoding_follows_the_form_of_the_exported_number(long exported, PageTypeEncoding expected) =>
        Assert.Equal(expected, PageTypeTest.FromMapcountValue(exported).Encoding);

    [Fact]
    public void The_612_encoding_compares_the_type_byte_and_ignores_the_data_bits()
    {
        var buddy = PageTypeTest.FromMapcountValue(0xf0000000);
        Assert.True(buddy.Matches(0, 0xf0000000));
        Assert.True(buddy.Matches(0, 0xf0000123));   // low 24 bits carry data in 6.12+
        Assert.False(buddy.Matches(0, 0xf5000000));  // slab
        Assert.False(buddy.Matches(0, 0xffffffff));  // an untyped page (_mapcount -1)
        Assert.False(buddy.Matches(0, 0));           // a page mapped once
    }

    [Fact]
    public void The_cleared_bit_encoding_matches_as_the_kernel_defines_PageType()
    {
        var buddy = PageTypeTest.FromMapcountValue(-129);
        Assert.True(buddy.Matches(0, 0xffffff7f));
        Assert.False(buddy.Matches(0, 0xffffffff));
        Assert.False(buddy.Matches(0, 0xfffffeff)); // offline, not buddy
        Assert.False(buddy.Matches(0, 5));          // a mapped page
    }

    [Fact]
    public void Equality_encodings_and_flag_bits()
    {
        Assert.True(PageTypeTest.FromMapcountValue(-128).Matches(0, 0xffffff80));
        Assert.False(PageTypeTest.FromMapcountValue(-128).Matches(0, 0xffffff7f));
        Assert.True(PageTypeTest.FromFlagBit(9).Matches(1UL << 9, 0));
        Assert.False(PageTypeTest.FromFlagBit(9).Matches(1UL << 8, 0));
        Assert.False(PageTypeTest.None.Matches(ulong.MaxValue, 0xf0000000));
    }
}
