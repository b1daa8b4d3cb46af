using Coresift.Filter;

namespace Coresift.Tests.Filter;

public class BitmapTests
{
    [Fact]
    public void Ranges_set_and_clear_across_word_boundaries_and_report_changes()
    {
        var b = new Bitmap(100, 1000);
        b.SetRange(0, 150);                       // clipped to the base
        Assert.Equal(50UL, b.PopCount());
        b.SetRange(160, 300);
        Assert.Equal(50UL + 140UL, b.PopCount());
        Assert.Equal(20UL, b.ClearRange(140, 170)); // 140..149 and 160..169 were set
        Assert.False(b.Test(145));
        Assert.True(b.Test(170));
        Assert.Equal(170UL, b.NextSet(150));
        Assert.Equal(ulong.MaxValue, b.NextSet(300));
        Assert.Equal(0UL, b.ClearRange(2000, 3000));
    }
}
