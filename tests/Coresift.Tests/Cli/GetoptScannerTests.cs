using Coresift.App.Cli;

namespace Coresift.Tests.Cli;

/// <summary>The getopt_long clone: bundles, attached arguments, prefixes, permutation and "--".</summary>
public class GetoptScannerTests
{
    private static (List<string> Options, IReadOnlyList<string> Positionals, string? Error) Scan(params string[] args)
    {
        var scanner = new GetoptScanner(args);
        var options = new List<string>();
        while (true)
        {
            var step = scanner.Next();
            if (step.IsEnd || step.Error is not null)
            {
                return (options, scanner.Positionals, step.Error);
            }

            options.Add(step.Option!.DisplayName + (step.Argument is null ? string.Empty : "=" + step.Argument));
        }
    }

    [Theory]
    [InlineData("-lfd31 a b", "-l -f -d=31", "a b")]
    [InlineData("-lfd 31 a b", "-l -f -d=31", "a b")]
    [InlineData("-cEF", "-c -E -F", "")]
    [InlineData("-b4 -L1k a", "-b=4 -L=1k", "a")]
    [InlineData("a -l b -F c", "-l -F", "a b c")]
    [InlineData("-l -- -F --split", "-l", "-F --split")]
    [InlineData("- -l", "-l", "-")]
    [InlineData("--split --splitblock-size 4 --splitb=8", "--split --splitblock-size=4 --splitblock-size=8", "")]
    [InlineData("--num-threads=4 --num 8 --nu=2", "--num-threads=4 --num-threads=8 --num-threads=2", "")]
    [InlineData("--mess 3 --help --he --xen_p 1 --w d --e f --r --p", "--message-level=3 -h -h --xen_phys_start=1 --work-dir=d --eppic=f --reassemble --partial-dmesg", "")]
    [InlineData("--config=a=b -d 1,2", "--config=a=b -d=1,2", "")]
    [InlineData("-x -l -i --split", "-x=-l -i=--split", "")]
    public void Splits_like_getopt_long(string line, string options, string positionals)
    {
        var (found, rest, error) = Scan(CliArgs.Of(line));
        Assert.Null(error);
        Assert.Equal(options.Split(' ', StringSplitOptions.RemoveEmptyEntries), found);
        Assert.Equal(positionals.Split(' ', StringSplitOptions.RemoveEmptyEntries), rest);
    }

    [Theory]
    [InlineData("--foo", "unrecognized option '--foo'")]
    [InlineData("---", "unrecognized option '---'")]
    [InlineData("--split-x", "unrecognized option '--split-x'")]
    [InlineData("-q", "invalid option -- 'q'")]
    [InlineData("-l-", "invalid option -- '-'")]
    [InlineData("-d", "option requires an argument -- 'd'")]
    [InlineData("--vtop", "option '--vtop' requires an argument")]
    [InlineData("--dry=1", "option '--dry-run' doesn't allow an argument")]
    [InlineData("--n", "option '--n' is ambiguous; possibilities: '--non-mmap' '--num-threads'")]
    [InlineData("--m=3", "option '--m=3' is ambiguous; possibilities: '--message-level' '--mem-usage'")]
    public void Reports_getopt_errors(string line, string error) => Assert.Equal(error, Scan(CliArgs.Of(line)).Error);

    [Fact]
    public void Stops_at_the_first_error_without_reading_further()
    {
        var (found, _, error) = Scan("-l", "--foo", "-F", "a");
        Assert.Equal(["-l"], found);
        Assert.Equal("unrecognized option '--foo'", error);
    }
}
