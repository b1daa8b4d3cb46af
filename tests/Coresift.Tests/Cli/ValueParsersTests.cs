using Coresift.App.Cli;

namespace Coresift.Tests.Cli;

/// <summary>Strict argument parsers.</summary>
public class ValueParsersTests
{
    [Theory]
    [InlineData("1", 1UL)]
    [InlineData("1k", 1UL << 10)]
    [InlineData("1M", 1UL << 20)]
    [InlineData("1g", 1UL << 30)]
    [InlineData("1T", 1UL << 40)]
    [InlineData("1p", 1UL << 50)]
    [InlineData("1E", 1UL << 60)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    [InlineData("17592186044415k", 17592186044415UL << 10)]
    public void Size_limits(string text, ulong bytes)
    {
        Assert.True(ValueParsers.TryParseSizeLimit(text, out var value, out var error), error);
        Assert.Equal(bytes, value);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0k")]
    [InlineData("")]
    [InlineData("k")]
    [InlineData("1b")]
    [InlineData("1kk")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("16E")]
    [InlineData("18446744073709551616")]
    [InlineData("18014398509481984k")]
    public void Bad_size_limits(string text)
    {
        Assert.False(ValueParsers.TryParseSizeLimit(text, out _, out var error));
        Assert.Equal($"Limit size({text}) is invalid.", error);
    }

    [Theory]
    [InlineData("0x10", 16UL)]
    [InlineData("0XfF", 255UL)]
    [InlineData("ffffffff81000000", 0xffffffff81000000UL)]
    public void Hex_addresses(string text, ulong expected)
    {
        Assert.True(ValueParsers.TryParseHexAddress(text, "Vtop_address", out var value, out _));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("zz")]
    [InlineData("0x10000000000000000")]
    public void Bad_hex_addresses(string text)
        => Assert.False(ValueParsers.TryParseHexAddress(text, "Vtop_address", out _, out _));

    [Theory]
    [InlineData("0", true)]
    [InlineData("16", true)]
    [InlineData("17", false)]
    [InlineData("-1", false)]
    public void Block_order_range(string text, bool ok) => Assert.Equal(ok, ValueParsers.TryParseBlockOrder(text, out _, out _));

    [Theory]
    [InlineData("9007199254740991", true)]
    [InlineData("9007199254740992", false)]
    [InlineData("-1", false)]
    [InlineData("1k", false)]
    public void KiB_counts_must_fit_in_bytes(string text, bool ok)
        => Assert.Equal(ok, ValueParsers.TryParseKiB(text, "Cyclic_buffer", out _, out _));
}
