using System.Diagnostics;
using Coresift.App.Cli;
using Xunit.Abstractions;

namespace Coresift.Tests.Cli;

/// <summary>
/// Runs the real makedumpfile (if installed) on the same command lines and compares its verdict and messages
/// with coresift's parser. Without makedumpfile the tests log a note and pass.
/// </summary>
public class MakedumpfileCompatibilityTests(ITestOutputHelper output)
{
    private static readonly string? Makedumpfile =
        new[] { "/usr/sbin/makedumpfile", "/usr/bin/makedumpfile", "/sbin/makedumpfile" }.FirstOrDefault(File.Exists);

    [Theory]
    // Distribution lines and argument forms that both accept.
    [InlineData("-l -d 31 --message-level 7 /proc/vmcore out")]
    [InlineData("-l --message-level 1 -d 31 --num-threads=2 /proc/vmcore out")]
    [InlineData("-c -d 31 --num-threads 4 /proc/vmcore out")]
    [InlineData("-F -l -d 31 /proc/vmcore")]
    [InlineData("-F -c --num-threads 4 --message-level 7 -d 31 /proc/vmcore")]
    [InlineData("-F --dump-dmesg /proc/vmcore")]
    [InlineData("--dump-dmesg /proc/vmcore dmesg.txt")]
    [InlineData("--partial-dmesg --dump-dmesg a b")]
    [InlineData("-F -E /proc/vmcore")]
    [InlineData("-E -d 31 /proc/vmcore out")]
    [InlineData("-lF a")]
    [InlineData("-ld31 a b")]
    [InlineData("-ld 31 a b")]
    [InlineData("-lfd 31 a b")]
    [InlineData("-d31 a b")]
    [InlineData("-d 1,31 a b")]
    [InlineData("-d 1,31, a b")]
    [InlineData("-d 31 -d 1 a b")]
    [InlineData("--num-threads=4 a b")]
    [InlineData("--num 4 a b")]
    [InlineData("--message-level=31 a b")]
    [InlineData("--mess=31 a b")]
    [InlineData("--message-level 0 a b")]
    [InlineData("-- -l a")]
    [InlineData("a -d 31 b")]
    [InlineData("a b -l")]
    [InlineData("- a")]
    [InlineData("-R a")]
    [InlineData("-R -d 0 a")]
    [InlineData("-R -f a")]
    [InlineData("-R --split a")]
    [InlineData("-R --dump-dmesg a")]
    [InlineData("--split a b c")]
    [InlineData("--split -c a b c d e")]
    [InlineData("--reassemble a b c")]
    [InlineData("--reassemble -d 0 a b c")]
    [InlineData("--reassemble -f --num-threads 2 a b c")]
    [InlineData("-L 1k a b")]
    [InlineData("-L 15E a b")]
    [InlineData("--cyclic-buffer 1024 a b")]
    [InlineData("--splitblock-size 1024 --split a b c")]
    [InlineData("-b 8 a b")]
    [InlineData("--non-mmap -D --show-stats a b")]
    [InlineData("--dry-run -f a b")]
    [InlineData("-z a b")]
    [InlineData("-p a b")]
    [InlineData("-E --num-threads 0 a b")]
    // Lines both reject, with the same messages.
    [InlineData("-d 32 a b")]
    [InlineData("-d -1 a b")]
    [InlineData("-d 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,1 a b")]
    [InlineData("--message-level 32 a b")]
    [InlineData("--message-level 4 -d 32 a b")]
    [InlineData("-L 0 a b")]
    [InlineData("-L 1KB a b")]
    [InlineData("-L abc a b")]
    [InlineData("-L 16E a b")]
    [InlineData("-d 32 --foo a b")]
    [InlineData("--foo a b")]
    [InlineData("-k a b")]
    [InlineData("-lk a b")]
    [InlineData("-l=1 a b")]
    [InlineData("a b -d")]
    [InlineData("--num-threads")]
    [InlineData("--sp a b c")]
    [InlineData("--sp=1 a b c")]
    [InlineData("--s a b")]
    [InlineData("--c a b")]
    [InlineData("--split= a b c")]
    [InlineData("--check-params=1 a b")]
    [InlineData("---")]
    [InlineData("-=")]
    [InlineData("-cE a b")]
    [InlineData("-lE a b")]
    [InlineData("-E --split a b c")]
    [InlineData("-E --split a b")]
    [InlineData("-F --split a b c")]
    [InlineData("-F a b")]
    [InlineData("-F")]
    [InlineData("a")]
    [InlineData("a b c")]
    [InlineData("")]
    [InlineData("--split a b")]
    [InlineData("-R")]
    [InlineData("-R a b")]
    [InlineData("-R -l a")]
    [InlineData("-R -d 31 a")]
    [InlineData("-R -d 31,0 a")]
    [InlineData("-R -E a")]
    [InlineData("-R -F a")]
    [InlineData("-R --reassemble a b c")]
    [InlineData("--reassemble -l a b c")]
    [InlineData("--reassemble -E a b c")]
    [InlineData("--reassemble -F a b c")]
    [InlineData("--reassemble --split a b c")]
    [InlineData("--reassemble --dry-run a b c")]
    [InlineData("--reassemble --dry-run -c a b c")]
    [InlineData("--dry-run --dump-dmesg a b")]
    [InlineData("--dry-run --dump-dmesg -c -E a b")]
    [InlineData("-F --split --dry-run --dump-dmesg a b c")]
    [InlineData("--partial-dmesg a b")]
    [InlineData("--dump-dmesg a")]
    [InlineData("--dump-dmesg a b c")]
    [InlineData("--dump-dmesg -F a b")]
    public void Check_params_gives_the_same_verdict_and_messages(string line)
    {
        if (Makedumpfile is null)
        {
            output.WriteLine("makedumpfile is not installed; comparison skipped.");
            return;
        }

        string[] args = ["--check-params", .. CliArgs.Of(line)];
        var reference = RunMakedumpfile(args);
        var outcome = CommandLineParser.Parse(args);
        Assert.Equal(reference.ExitCode, outcome.ExitCode);
        Assert.Null(outcome.Options);
        Assert.Equal(reference.Messages, outcome.StderrText ?? string.Empty);
    }

    [Theory]
    [InlineData("-d 32 a b")]
    [InlineData("-d 32 --check-params a b")]
    [InlineData("--message-level 0 -d 32 a b")]
    [InlineData("--message-level 2 -d 32 a b")]
    [InlineData("--message-level 32 -d 3 a b")]
    [InlineData("--foo a b")]
    [InlineData("--message-level 0 --foo a b")]
    [InlineData("-l -d 31 /proc/vmcore")]
    [InlineData("--message-level 6 -l a")]
    [InlineData("--message-level 1 -l a")]
    [InlineData("-cE a b")]
    [InlineData("-E --split a b c")]
    [InlineData("-h -d 32 a b")]
    [InlineData("-v --foo")]
    public void Rejections_without_check_params_print_the_same_lines(string line)
    {
        if (Makedumpfile is null)
        {
            output.WriteLine("makedumpfile is not installed; comparison skipped.");
            return;
        }

        var args = CliArgs.Of(line);
        var reference = RunMakedumpfile(args);
        var outcome = CommandLineParser.Parse(args);
        Assert.Equal(1, reference.ExitCode);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(reference.Messages, outcome.StderrText ?? string.Empty);
    }

    [Theory]
    [InlineData("-E --num-threads 2 a b", 1, 0)]
    [InlineData("-E -F --num-threads 2 a", 1, 0)]
    [InlineData("--split --num-threads 2 a b c", 1, 0)]
    [InlineData("--reassemble a b", 0, 1)]
    [InlineData("--reassemble a", 0, 1)]
    [InlineData("--reassemble", 1, 1)]
    [InlineData("--split --dump-dmesg a b c", 0, 1)]
    [InlineData("-d abc a b", 0, 1)]
    [InlineData("-d '' a b", 0, 1)]
    [InlineData("--message-level abc a b", 0, 1)]
    [InlineData("-L -1 a b", 0, 1)]
    [InlineData("-L 17E a b", 0, 1)]
    [InlineData("--num-threads abc a b", 0, 1)]
    [InlineData("--num-threads -1 a b", 0, 1)]
    [InlineData("-b 17 a b", 0, 1)]
    [InlineData("--cyclic-buffer -5 a b", 0, 1)]
    [InlineData("--splitblock-size abc --split a b c", 0, 1)]
    public void Deliberate_differences_from_makedumpfile(string line, int makedumpfileExit, int coresiftExit)
    {
        string[] args = ["--check-params", .. CliArgs.Of(line)];
        Assert.Equal(coresiftExit, CommandLineParser.Parse(args).ExitCode);
        if (Makedumpfile is null)
        {
            output.WriteLine("makedumpfile is not installed; its side of the difference is not checked.");
            return;
        }

        Assert.Equal(makedumpfileExit, RunMakedumpfile(args).ExitCode);
    }

    [Theory]
    [InlineData("-x v a b")]
    [InlineData("-i f a b")]
    [InlineData("-i f -x v a b")]
    [InlineData("-g f -x v")]
    [InlineData("--config f -x v a b")]
    [InlineData("--config f a b")]
    [InlineData("--eppic f a b")]
    [InlineData("-X a b")]
    [InlineData("--xen-syms x a b")]
    [InlineData("--xen-vmcoreinfo f a b")]
    [InlineData("--xen_phys_start 0x100 a b")]
    [InlineData("--diskset=x -x v a")]
    [InlineData("-e a b")]
    [InlineData("-e --work-dir d a b")]
    [InlineData("--work-dir d a b")]
    [InlineData("--mem-usage a")]
    [InlineData("--vtop 0xffff a b")]
    public void Unsupported_options_always_fail(string line)
    {
        string[] args = ["--check-params", .. CliArgs.Of(line)];
        var outcome = CommandLineParser.Parse(args);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Matches("^coresift: option '[^']+' is not supported yet\n$", outcome.StderrText);
        if (Makedumpfile is not null)
        {
            output.WriteLine($"makedumpfile exit code: {RunMakedumpfile(args).ExitCode}");
        }
    }

    /// <summary>Runs makedumpfile with stdin closed; returns its exit code and its messages as coresift prints them.</summary>
    private static (int ExitCode, string Messages) RunMakedumpfile(IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(Makedumpfile!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["LC_ALL"] = "C";
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException($"makedumpfile {string.Join(' ', args)} did not finish.");
        }

        // getopt's line comes first (stderr), then makedumpfile's messages (stdout, or stderr with -F);
        // coresift prints all of them to stderr.
        var messages = stderr.Result + stdout.Result;
        messages = messages.Replace(Makedumpfile!, "makedumpfile", StringComparison.Ordinal);
        return (process.ExitCode, messages.Replace("makedumpfile", "coresift", StringComparison.Ordinal));
    }
}
