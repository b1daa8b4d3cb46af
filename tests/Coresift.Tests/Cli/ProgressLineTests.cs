using Coresift.App.Commands;

namespace Coresift.Tests.Cli;

public class ProgressLineTests
{
    [Fact]
    public void Draws_makedumpfiles_line_and_ends_the_stage_at_100_percent()
    {
        var w = new StringWriter();
        var p = new ProgressLine(w, enabled: true);
        p.Begin("Copying data");
        p.Update(0, 2000);
        p.End(2000);
        string text = w.ToString();
        Assert.StartsWith("\rCopying data" + new string(' ', 50 - "Copying data".Length) + ": [  0.0 %] /", text);
        Assert.EndsWith(": [100.0 %] |           eta: 0s\n", text);
    }

    [Fact]
    public void Stays_silent_when_bit_1_is_off()
    {
        var w = new StringWriter();
        var p = new ProgressLine(w, enabled: false);
        p.Begin("Copying data");
        p.Update(5, 10);
        p.End(10);
        Assert.Equal("", w.ToString());
    }

    [Theory]
    [InlineData(5.2, "6s")]
    [InlineData(125, "2m5s")]
    [InlineData(7300, "2h1m")]
    [InlineData(200_000, "2d7h")]
    [InlineData(9_000_000, ">100day")]
    public void Eta_uses_makedumpfiles_forms(double seconds, string expected) => Assert.Equal(expected, ProgressLine.FormatEta(seconds));
}
