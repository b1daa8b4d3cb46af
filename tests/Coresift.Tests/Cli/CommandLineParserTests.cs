using Coresift.App.Cli;

namespace Coresift.Tests.Cli;

/// <summary>Table-driven compatibility suite for the makedumpfile command line as coresift parses it.</summary>
public class CommandLineParserTests
{
    private const string Invalid = "Commandline parameter is invalid.\nTry `coresift --help' for more information.\n";
    private const string Failed = "\ncoresift Failed.\n";

    private static ParseOutcome Parse(string line) => CommandLineParser.Parse(CliArgs.Of(line));

    private static DumpOptions Accepted(string line)
    {
        var outcome = Parse(line);
        Assert.True(outcome.Options is not null, $"'{line}' was rejected: {outcome.StderrText}");
        Assert.Null(outcome.StdoutText);
        Assert.Null(outcome.StderrText);
        Assert.Empty(outcome.Options.UnsupportedOptions);
        return outcome.Options;
    }

    // ---------------------------------------------------------------- distro command lines

    [Theory]
    [InlineData("-l --message-level 7 -d 31 /proc/vmcore /var/crash/vmcore-incomplete", RunMode.Dump, CompressionKind.Lzo, 7, null)]
    [InlineData("-l --message-level 1 -d 31 --num-threads=2 /proc/vmcore /var/crash/vmcore-incomplete", RunMode.Dump, CompressionKind.Lzo, 1, 2)]
    [InlineData("-F -l --message-level 7 -d 31 /proc/vmcore", RunMode.Flatten, CompressionKind.Lzo, 7, null)]
    [InlineData("-F -l -d 31 /proc/vmcore", RunMode.Flatten, CompressionKind.Lzo, 7, null)]
    [InlineData("-c -d 31 --num-threads 4 /proc/vmcore /var/crash/vmcore", RunMode.Dump, CompressionKind.Zlib, 7, 4)]
    [InlineData("-F -c --num-threads 4 --message-level 7 -d 31 /proc/vmcore", RunMode.Flatten, CompressionKind.Zlib, 7, 4)]
    [InlineData("-F -z --num-threads 8 --message-level 31 -d 31 /proc/vmcore", RunMode.Flatten, CompressionKind.Zstd, 31, 8)]
    [InlineData("-F -p --message-level 7 -d 31 /proc/vmcore", RunMode.Flatten, CompressionKind.Snappy, 7, null)]
    [InlineData("-c -d 31 /proc/vmcore /var/crash/202601011200/dump-incomplete", RunMode.Dump, CompressionKind.Zlib, 7, null)]
    [InlineData("-F -c -d 31 /proc/vmcore", RunMode.Flatten, CompressionKind.Zlib, 7, null)]
    public void Distribution_core_collector_lines_are_accepted(string line, RunMode mode, CompressionKind compression, int messageLevel, int? threads)
    {
        var o = Accepted(line);
        Assert.Equal(mode, o.Mode);
        Assert.Equal(compression, o.Compression);
        Assert.Equal([31], o.DumpLevels);
        Assert.Equal(messageLevel, o.MessageLevel);
        Assert.Equal(threads, o.NumThreads);
        Assert.Equal("/proc/vmcore", o.InputPaths.Single());
    }

    [Theory]
    [InlineData("--dump-dmesg /proc/vmcore /var/crash/dmesg.202601011200", RunMode.Dmesg, false)]
    [InlineData("-F --dump-dmesg /proc/vmcore", RunMode.Dmesg, true)]
    [InlineData("--dump-dmesg --partial-dmesg /proc/vmcore dmesg.txt", RunMode.Dmesg, false)]
    [InlineData("-R /var/crash/vmcore", RunMode.Rearrange, false)]
    [InlineData("-E -d 31 /proc/vmcore vmcore.elf", RunMode.Dump, false)]
    [InlineData("-F -E -d 31 /proc/vmcore", RunMode.Flatten, true)]
    public void Other_distribution_invocations_are_accepted(string line, RunMode mode, bool toStdout)
    {
        var o = Accepted(line);
        Assert.Equal(mode, o.Mode);
        Assert.Equal(toStdout, o.WritesToStdout);
    }

    [Theory]
    [InlineData("--check-params -l --message-level 7 -d 31 /proc/vmcore /var/crash/vmcore")]
    [InlineData("--check-params -F -l --message-level 7 -d 31 /proc/vmcore")]
    [InlineData("--check-params -c -d 31 --num-threads 4 /proc/vmcore out")]
    [InlineData("-l -d 31 --check-params /proc/vmcore out")]
    [InlineData("--check-params -R out")]
    [InlineData("--check-params --split -d 31 vmcore o1 o2 o3")]
    [InlineData("--check-params -E --num-threads=4 -d 31 vmcore out")]
    [InlineData("--check-params --message-level 0 -d 31 vmcore out")]
    public void Check_params_on_a_valid_line_exits_0_silently(string line)
    {
        var outcome = Parse(line);
        Assert.Null(outcome.Options);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Null(outcome.StdoutText);
        Assert.Null(outcome.StderrText);
    }

    // ---------------------------------------------------------------- argument forms

    [Theory]
    [InlineData("-d 31 a b", "31")]
    [InlineData("-d31 a b", "31")]
    [InlineData("-d 1,31 a b", "1,31")]
    [InlineData("-d1,31 a b", "1,31")]
    [InlineData("-ld31 a b", "31")]
    [InlineData("-ld 31 a b", "31")]
    [InlineData("-lfd 31 a b", "31")]
    [InlineData("-lfd31 a b", "31")]
    [InlineData("a -d 31 b", "31")]
    [InlineData("a b -d 31", "31")]
    [InlineData("-d 31 -d 1 a b", "1")]
    [InlineData("-d 1,31, a b", "1,31")]
    [InlineData("-d 1,,31 a b", "1,31")]
    [InlineData("-d 031 a b", "31")]
    [InlineData("-d 0 a b", "0")]
    [InlineData("a b", "0")]
    [InlineData("-d 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31 a b",
        "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31")]
    public void Dump_levels_are_read_in_every_getopt_form(string line, string levels)
    {
        var o = Accepted(line);
        Assert.Equal(levels.Split(',').Select(int.Parse), o.DumpLevels);
        Assert.Equal(int.Parse(levels.Split(',')[0]), o.DumpLevel);
        Assert.Equal(["a", "b"], o.Positionals);
    }

    [Theory]
    [InlineData("a b", CompressionKind.None)]
    [InlineData("-c a b", CompressionKind.Zlib)]
    [InlineData("-l a b", CompressionKind.Lzo)]
    [InlineData("-p a b", CompressionKind.Snappy)]
    [InlineData("-z a b", CompressionKind.Zstd)]
    [InlineData("-c -l a b", CompressionKind.Lzo)]
    [InlineData("-l -c a b", CompressionKind.Zlib)]
    [InlineData("-lc a b", CompressionKind.Zlib)]
    [InlineData("-zp a b", CompressionKind.Snappy)]
    [InlineData("-l a -z b -c", CompressionKind.Zlib)]
    [InlineData("-l -l a b", CompressionKind.Lzo)]
    [InlineData("-lF a", CompressionKind.Lzo)]
    [InlineData("-Fl a", CompressionKind.Lzo)]
    public void The_last_compression_option_wins(string line, CompressionKind expected)
        => Assert.Equal(expected, Accepted(line).Compression);

    [Theory]
    [InlineData("--num-threads=4 a b", 4)]
    [InlineData("--num-threads 4 a b", 4)]
    [InlineData("--num 4 a b", 4)]
    [InlineData("--num-t=4 a b", 4)]
    [InlineData("--num-threads 0 a b", 0)]
    [InlineData("--num-threads 2 --num-threads 8 a b", 8)]
    [InlineData("a b", null)]
    public void Num_threads_forms(string line, int? expected) => Assert.Equal(expected, Accepted(line).NumThreads);

    [Theory]
    [InlineData("a b", 7)]
    [InlineData("--message-level 31 a b", 31)]
    [InlineData("--message-level=31 a b", 31)]
    [InlineData("--mess=4 a b", 4)]
    [InlineData("--message-level 0 a b", 0)]
    [InlineData("-D a b", 15)]
    [InlineData("--show-stats a b", 23)]
    [InlineData("--message-level 1 -D a b", 9)]
    [InlineData("-D --message-level 1 a b", 9)]
    [InlineData("--message-level 0 --show-stats a b", 16)]
    [InlineData("--message-level 1 --message-level 2 a b", 2)]
    public void Message_level_forms(string line, int expected) => Assert.Equal(expected, Accepted(line).MessageLevel);

    [Theory]
    [InlineData("-L 1 a b", 1UL)]
    [InlineData("-L 1k a b", 1024UL)]
    [InlineData("-L 1K a b", 1024UL)]
    [InlineData("-L 2m a b", 2UL << 20)]
    [InlineData("-L 3G a b", 3UL << 30)]
    [InlineData("-L 5t a b", 5UL << 40)]
    [InlineData("-L 7P a b", 7UL << 50)]
    [InlineData("-L 15E a b", 15UL << 60)]
    [InlineData("-L1024 a b", 1024UL)]
    [InlineData("-L 2 -L 3k a b", 3072UL)]
    public void Size_limit_takes_binary_suffixes(string line, ulong expected) => Assert.Equal(expected, Accepted(line).SizeLimit);

    [Fact]
    public void Defaults_match_makedumpfile()
    {
        var o = Accepted("vmcore dumpfile");
        Assert.Equal(RunMode.Dump, o.Mode);
        Assert.Equal(CompressionKind.None, o.Compression);
        Assert.Equal([0], o.DumpLevels);
        Assert.Equal(7, o.MessageLevel);
        Assert.Equal(8, o.BlockOrder); // coresift's default write cache is 1 MiB (makedumpfile's 64 KiB)
        Assert.Null(o.NumThreads);
        Assert.Null(o.SizeLimit);
        Assert.Null(o.CyclicBufferKiB);
        Assert.Null(o.SplitBlockSizeKiB);
        Assert.False(o.ElfOutput || o.Flatten || o.Rearrange || o.Force || o.Split || o.Reassemble || o.NonMmap
            || o.DryRun || o.CheckParams || o.DumpDmesg || o.PartialDmesg || o.Debug || o.ShowStats);
        Assert.Equal(["vmcore"], o.InputPaths);
        Assert.Equal(["dumpfile"], o.OutputPaths);
    }

    [Fact]
    public void Every_supported_value_option_is_bound()
    {
        var o = Accepted("-f -b 6 --cyclic-buffer 1024 --splitblock-size=2048 --non-mmap --dry-run -E -D --show-stats -L 1G vmcore out");
        Assert.True(o.Force);
        Assert.Equal(6, o.BlockOrder);
        Assert.Equal(1024, o.CyclicBufferKiB);
        Assert.Equal(2048, o.SplitBlockSizeKiB);
        Assert.True(o.NonMmap);
        Assert.True(o.DryRun);
        Assert.True(o.ElfOutput);
        Assert.True(o.Debug);
        Assert.True(o.ShowStats);
        Assert.Equal(7 | 8 | 16, o.MessageLevel);
        Assert.Equal(1UL << 30, o.SizeLimit);
    }

    [Theory]
    [InlineData("--cyclic-buffer 0 a b")]
    [InlineData("--splitblock-size 0 --split a b c")]
    public void Zero_buffer_sizes_mean_automatic(string line)
    {
        var o = Accepted(line);
        Assert.Null(o.CyclicBufferKiB);
        Assert.Null(o.SplitBlockSizeKiB);
    }

    [Theory]
    [InlineData("-d 31 -- -l b", "-l,b")]
    [InlineData("-- a b", "a,b")]
    [InlineData("- b", "-,b")]
    [InlineData("-d 1 -- a --split", "a,--split")]
    [InlineData("@rsp b", "@rsp,b")]
    [InlineData("[diagram] b", "[diagram],b")]
    [InlineData("coresift b", "coresift,b")]
    public void Positionals_are_taken_literally(string line, string positionals)
        => Assert.Equal(positionals.Split(','), Accepted(line).Positionals);

    [Theory]
    [InlineData("a b", RunMode.Dump, "a", "b")]
    [InlineData("-F a", RunMode.Flatten, "a", "")]
    [InlineData("--split a b c d", RunMode.Split, "a", "b,c,d")]
    [InlineData("--reassemble a b c", RunMode.Reassemble, "a,b", "c")]
    [InlineData("-R a", RunMode.Rearrange, "", "a")]
    [InlineData("--dump-dmesg a b", RunMode.Dmesg, "a", "b")]
    [InlineData("-F --dump-dmesg a", RunMode.Dmesg, "a", "")]
    [InlineData("-R --split a", RunMode.Rearrange, "", "a")]
    [InlineData("-R --dump-dmesg a", RunMode.Rearrange, "", "a")]
    [InlineData("--reassemble --num-threads 2 a b c", RunMode.Reassemble, "a,b", "c")]
    public void Modes_and_their_files(string line, RunMode mode, string inputs, string outputs)
    {
        var o = Accepted(line);
        Assert.Equal(mode, o.Mode);
        Assert.Equal(inputs.Split(',', StringSplitOptions.RemoveEmptyEntries), o.InputPaths);
        Assert.Equal(outputs.Split(',', StringSplitOptions.RemoveEmptyEntries), o.OutputPaths);
    }

    [Theory]
    [InlineData("-E --num-threads 2 a b")]
    [InlineData("-E --num-threads=4 -d 31 a b")]
    [InlineData("--split --num-threads 2 a b c")]
    [InlineData("-E -F --num-threads 2 a")]
    public void Num_threads_is_accepted_with_elf_and_split_unlike_makedumpfile(string line)
        => Assert.True(Accepted(line).NumThreads > 0);

    // ---------------------------------------------------------------- rejected command lines

    [Theory]
    // Errors found while walking the options (makedumpfile's getopt loop): only the value line.
    [InlineData("-d 32 a b", "Dump_level(32) is invalid.\n" + Failed)]
    [InlineData("-d -1 a b", "Dump_level(-1) is invalid.\n" + Failed)]
    [InlineData("-d 31,32 a b", "Dump_level(32) is invalid.\n" + Failed)]
    [InlineData("-d 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,1 a b", "Dump_level is invalid.\n" + Failed)]
    [InlineData("--message-level 32 a b", "Message_level(32) is invalid.\n" + Failed)]
    [InlineData("--message-level -1 a b", "Message_level(-1) is invalid.\n" + Failed)]
    [InlineData("-L 0 a b", "Limit size(0) is invalid.\n" + Failed)]
    [InlineData("-L 1KB a b", "Limit size(1KB) is invalid.\n" + Failed)]
    [InlineData("-L 1x a b", "Limit size(1x) is invalid.\n" + Failed)]
    [InlineData("-L abc a b", "Limit size(abc) is invalid.\n" + Failed)]
    [InlineData("-L 5, a b", "Limit size(5,) is invalid.\n" + Failed)]
    [InlineData("-L 16E a b", "Limit size(16E) is invalid.\n" + Failed)]
    [InlineData("-L 1 -L 0 a b", "Limit size(0) is invalid.\n" + Failed)]
    [InlineData("-d 32 --foo a b", "Dump_level(32) is invalid.\n" + Failed)]
    [InlineData("-x v -d 32 a b", "Dump_level(32) is invalid.\n" + Failed)]
    [InlineData("-h -d 32 a b", "Dump_level(32) is invalid.\n" + Failed)]
    [InlineData("-d 32 -v", "Dump_level(32) is invalid.\n" + Failed)]
    // getopt's own diagnostics, then the generic lines.
    [InlineData("--foo a b", "coresift: unrecognized option '--foo'\n" + Invalid + Failed)]
    [InlineData("--xen-phys-start=1 a b", "coresift: unrecognized option '--xen-phys-start=1'\n" + Invalid + Failed)]
    [InlineData("-k a b", "coresift: invalid option -- 'k'\n" + Invalid + Failed)]
    [InlineData("-lk a b", "coresift: invalid option -- 'k'\n" + Invalid + Failed)]
    [InlineData("-l=1 a b", "coresift: invalid option -- '='\n" + Invalid + Failed)]
    [InlineData("-W foo a b", "coresift: invalid option -- 'W'\n" + Invalid + Failed)]
    [InlineData("a b -d", "coresift: option requires an argument -- 'd'\n" + Invalid + Failed)]
    [InlineData("-ld", "coresift: option requires an argument -- 'd'\n" + Invalid + Failed)]
    [InlineData("--num-threads", "coresift: option '--num-threads' requires an argument\n" + Invalid + Failed)]
    [InlineData("--num", "coresift: option '--num-threads' requires an argument\n" + Invalid + Failed)]
    [InlineData("--check-params=1 a b", "coresift: option '--check-params' doesn't allow an argument\n" + Invalid + Failed)]
    [InlineData("--split= a b c", "coresift: option '--split' doesn't allow an argument\n" + Invalid + Failed)]
    [InlineData("--sp a b c", "coresift: option '--sp' is ambiguous; possibilities: '--split' '--splitblock-size'\n" + Invalid + Failed)]
    [InlineData("--sp=1 a b c", "coresift: option '--sp=1' is ambiguous; possibilities: '--split' '--splitblock-size'\n" + Invalid + Failed)]
    [InlineData("--s a b", "coresift: option '--s' is ambiguous; possibilities: '--split' '--splitblock-size' '--show-stats'\n" + Invalid + Failed)]
    [InlineData("--c a b", "coresift: option '--c' is ambiguous; possibilities: '--config' '--cyclic-buffer' '--check-params'\n" + Invalid + Failed)]
    [InlineData("--d a b", "coresift: option '--d' is ambiguous; possibilities: '--dump-dmesg' '--diskset' '--dry-run'\n" + Invalid + Failed)]
    [InlineData("--x a b", "coresift: option '--x' is ambiguous; possibilities: '--xen-syms' '--xen-vmcoreinfo' '--xen_phys_start'\n" + Invalid + Failed)]
    [InlineData("--foo -h", "coresift: unrecognized option '--foo'\n" + Invalid + Failed)]
    [InlineData("-h --foo", "coresift: unrecognized option '--foo'\n" + Invalid + Failed)]
    [InlineData("-v --foo", "coresift: unrecognized option '--foo'\n" + Invalid + Failed)]
    // Combination and positional checks after the walk.
    [InlineData("-cE a b", Invalid + Failed)]
    [InlineData("-lE a b", Invalid + Failed)]
    [InlineData("-pE a b", Invalid + Failed)]
    [InlineData("-zE a b", Invalid + Failed)]
    [InlineData("-F a b -c -E", Invalid + Failed)]
    [InlineData("-E --split a b c", "Options for splitting dumpfile cannot be used with Elf format.\n" + Invalid + Failed)]
    [InlineData("-E --split a b", Invalid + Failed)]
    [InlineData("-F --split a b c", Invalid + Failed)]
    [InlineData("-F --split a", Invalid + Failed)]
    [InlineData("-F a b", Invalid + Failed)]
    [InlineData("-F", Invalid + Failed)]
    [InlineData("a", Invalid + Failed)]
    [InlineData("a b c", Invalid + Failed)]
    [InlineData("", Invalid + Failed)]
    [InlineData("--split a b", Invalid + Failed)]
    [InlineData("-R", Invalid + Failed)]
    [InlineData("-R a b", Invalid + Failed)]
    [InlineData("-R -l a", Invalid + Failed)]
    [InlineData("-R -c a", Invalid + Failed)]
    [InlineData("-R -d 31 a", Invalid + Failed)]
    [InlineData("-R -d 31,0 a", Invalid + Failed)]
    [InlineData("-R -E a", Invalid + Failed)]
    [InlineData("-R -F a", Invalid + Failed)]
    [InlineData("-F -R a", Invalid + Failed)]
    [InlineData("-R --reassemble a b c", Invalid + Failed)]
    [InlineData("--reassemble -R a b c", Invalid + Failed)]
    [InlineData("--reassemble -l a b c", Invalid + Failed)]
    [InlineData("--reassemble -d 31 a b c", Invalid + Failed)]
    [InlineData("--reassemble -E a b c", Invalid + Failed)]
    [InlineData("--reassemble -F a b c", Invalid + Failed)]
    [InlineData("--reassemble --split a b c", Invalid + Failed)]
    [InlineData("--reassemble --dry-run a b c", "--dry-run cannot be used with --reassemble.\n" + Invalid + Failed)]
    [InlineData("--reassemble --dry-run -c a b c", Invalid + Failed)]
    [InlineData("--dry-run --dump-dmesg a b", "--dry-run cannot be used with --dump-dmesg.\n" + Invalid + Failed)]
    [InlineData("--dry-run --dump-dmesg a", "--dry-run cannot be used with --dump-dmesg.\n" + Invalid + Failed)]
    [InlineData("-F --split --dry-run --dump-dmesg a b c", "--dry-run cannot be used with --dump-dmesg.\n" + Invalid + Failed)]
    [InlineData("--dry-run --dump-dmesg -c -E a b", Invalid + Failed)]
    [InlineData("--partial-dmesg a b", Invalid + Failed)]
    [InlineData("--dump-dmesg a", Invalid + Failed)]
    [InlineData("--dump-dmesg a b c", Invalid + Failed)]
    [InlineData("--dump-dmesg -F a b", Invalid + Failed)]
    // coresift's own rules (makedumpfile 1.7.2 lets these through its checks).
    [InlineData("--reassemble a b", Invalid + Failed)]
    [InlineData("--reassemble a", Invalid + Failed)]
    [InlineData("--reassemble", Invalid + Failed)]
    [InlineData("--split --dump-dmesg a b c", Invalid + Failed)]
    // coresift rejects text that makedumpfile's atoi() would read as 0.
    [InlineData("-d abc a b", "Dump_level(abc) is invalid.\n" + Failed)]
    [InlineData("-d 3x a b", "Dump_level(3x) is invalid.\n" + Failed)]
    [InlineData("-d '' a b", "Dump_level is invalid.\n" + Failed)]
    [InlineData("-d , a b", "Dump_level is invalid.\n" + Failed)]
    [InlineData("--message-level abc a b", "Message_level(abc) is invalid.\n" + Failed)]
    [InlineData("--message-level 0x1f a b", "Message_level(0x1f) is invalid.\n" + Failed)]
    [InlineData("-L -1 a b", "Limit size(-1) is invalid.\n" + Failed)]
    [InlineData("-L 17E a b", "Limit size(17E) is invalid.\n" + Failed)]
    [InlineData("-L 99999999999999999999 a b", "Limit size(99999999999999999999) is invalid.\n" + Failed)]
    [InlineData("--num-threads abc a b", "Num_threads(abc) is invalid.\n" + Failed)]
    [InlineData("--num-threads -1 a b", "Num_threads(-1) is invalid.\n" + Failed)]
    [InlineData("-b 17 a b", "Block_order(17) is invalid.\n" + Failed)]
    [InlineData("-b x a b", "Block_order(x) is invalid.\n" + Failed)]
    [InlineData("--cyclic-buffer -5 a b", "Cyclic_buffer(-5) is invalid.\n" + Failed)]
    [InlineData("--splitblock-size abc --split a b c", "Splitblock_size(abc) is invalid.\n" + Failed)]
    public void Invalid_lines_print_makedumpfile_messages_and_exit_1(string line, string stderr)
    {
        var outcome = Parse(line);
        Assert.Null(outcome.Options);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Null(outcome.StdoutText);
        Assert.Equal(stderr, outcome.StderrText);
    }

    [Theory]
    // --check-params forces the messages on and drops the final "Failed." line once it has been seen.
    [InlineData("--check-params -d 32 a b", "Dump_level(32) is invalid.\n")]
    [InlineData("-d 32 --check-params a b", "Dump_level(32) is invalid.\n" + Failed)]
    [InlineData("--check-params --message-level 4 -d 32 a b", "Dump_level(32) is invalid.\n")]
    [InlineData("--message-level 0 --check-params -d 32 a b", "Dump_level(32) is invalid.\n")]
    [InlineData("--check-params --message-level 32 a b", "Message_level(32) is invalid.\n")]
    [InlineData("--message-level 32 --check-params a b", "Message_level(32) is invalid.\n" + Failed)]
    [InlineData("--check-params a", Invalid)]
    [InlineData("--message-level 0 --check-params -l a", Invalid)]
    [InlineData("--check-params --foo a b", "coresift: unrecognized option '--foo'\n" + Invalid)]
    [InlineData("--check-params -E --split a b c", "Options for splitting dumpfile cannot be used with Elf format.\n" + Invalid)]
    // Without the common-message bit nothing but getopt's own line is printed.
    [InlineData("--message-level 0 -d 32 a b", null)]
    [InlineData("--message-level 4 -d 32 a b", null)]
    [InlineData("--message-level 1 a", null)]
    [InlineData("--message-level 16 -F a b", null)]
    [InlineData("--message-level 0 --foo a b", "coresift: unrecognized option '--foo'\n")]
    [InlineData("--message-level 2 a", Invalid + Failed)]
    [InlineData("--message-level 0 --num-threads x a b", null)]
    public void Messages_follow_the_message_level_and_check_params(string line, string? stderr)
    {
        var outcome = Parse(line);
        Assert.Null(outcome.Options);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Null(outcome.StdoutText);
        Assert.Equal(stderr, outcome.StderrText);
    }

    // ---------------------------------------------------------------- options not supported yet

    [Theory]
    [InlineData("-x vmlinux a b", "-x")]
    [InlineData("-i vmcoreinfo a b", "-i")]
    [InlineData("-g vmcoreinfo -x vmlinux", "-g")]
    [InlineData("--config f -x v a b", "--config")]
    [InlineData("--conf=f -x v a b", "--config")]
    [InlineData("--eppic f a b", "--eppic")]
    [InlineData("--e=f a b", "--eppic")]
    [InlineData("-X a b", "-X")]
    [InlineData("-lX a b", "-X")]
    [InlineData("--xen-syms x a b", "--xen-syms")]
    [InlineData("--xen-vmcoreinfo f a b", "--xen-vmcoreinfo")]
    [InlineData("--xen_phys_start 0x100 a b", "--xen_phys_start")]
    [InlineData("--diskset=x -x v a", "--diskset")]
    [InlineData("-e --work-dir d a b", "-e")]
    [InlineData("--work-dir d a b", "--work-dir")]
    [InlineData("--mem-usage /proc/kcore", "--mem-usage")]
    [InlineData("--vtop 0xffffffff81000000 a b", "--vtop")]
    [InlineData("--vtop zz a b", "--vtop")]
    [InlineData("--check-params -x v a b", "-x")]
    [InlineData("-i f -x v a b", "-i")]
    [InlineData("-e a b", "-e")]
    [InlineData("-R -e a", "-e")]
    [InlineData("--message-level 0 -x v a b", "-x")]
    public void Unsupported_options_fail_with_one_line(string line, string option)
    {
        var outcome = Parse(line);
        Assert.Null(outcome.Options);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Null(outcome.StdoutText);
        Assert.Equal($"coresift: option '{option}' is not supported yet\n", outcome.StderrText);
    }

    // ---------------------------------------------------------------- help and version

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    [InlineData("--he")]
    [InlineData("-h -v")]
    [InlineData("-v -h")]
    [InlineData("-h a b c d e")]
    [InlineData("--check-params -h")]
    [InlineData("-h -x vmlinux")]
    [InlineData("-h --num-threads abc")]
    [InlineData("-lh")]
    public void Help_prints_usage_and_exits_0(string line)
    {
        var outcome = Parse(line);
        Assert.Null(outcome.Options);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Null(outcome.StderrText);
        Assert.NotNull(outcome.StdoutText);
        Assert.EndsWith("LZO support: enabled\nsnappy support: enabled\nzstd support: enabled\n", outcome.StdoutText);
    }

    [Fact]
    public void Help_lists_every_option()
    {
        var help = Parse("-h").StdoutText!;
        foreach (var spec in new[]
        {
            "-c", "-l", "-p", "-z", "-d DL", "-L SIZE", "-E", "-F", "-R", "-f", "-x VMLINUX", "-i VMCOREINFO",
            "-g VMCOREINFO", "--config", "--eppic", "-b ORDER", "--cyclic-buffer", "--splitblock-size", "--work-dir",
            "--non-mmap", "--split", "--reassemble", "--num-threads", "--message-level", "-D", "--show-stats",
            "--vtop", "--dump-dmesg", "--partial-dmesg", "--mem-usage", "--diskset", "-X", "--xen-syms",
            "--xen-vmcoreinfo", "--xen_phys_start", "-e", "--check-params", "--dry-run", "-h, --help", "-v",
        })
        {
            Assert.Contains(spec, help, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("-v a b c d")]
    [InlineData("--check-params -v")]
    [InlineData("-v -x vmlinux")]
    public void Version_prints_version_and_codecs_and_exits_0(string line)
    {
        var outcome = Parse(line);
        Assert.Null(outcome.Options);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Null(outcome.StderrText);
        var lines = outcome.StdoutText!.Split('\n');
        Assert.StartsWith("coresift: version ", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(" (compatible with makedumpfile 1.7 command line)", lines[0], StringComparison.Ordinal);
        Assert.Equal(["lzo\tenabled", "snappy\tenabled", "zstd\tenabled", ""], lines[1..]);
    }

    // ---------------------------------------------------------------- robustness

    [Theory]
    [InlineData("---")]
    [InlineData("--=")]
    [InlineData("-=")]
    [InlineData("-")]
    [InlineData("--")]
    [InlineData("-- --")]
    [InlineData("-d=")]
    [InlineData("-d ''")]
    [InlineData("'' ''")]
    [InlineData("-x -- a b")]
    [InlineData("--config --")]
    [InlineData("@/nonexistent/response-file a")]
    [InlineData("[suggest] a")]
    [InlineData("-dd 1")]
    [InlineData("--message-level 99999999999999999999 a b")]
    [InlineData("-b 99999999999999999999 a b")]
    [InlineData("--vtop= a b")]
    [InlineData("--num-threads 2147483648 a b")]
    public void Odd_input_never_throws_and_gives_a_complete_outcome(string line)
    {
        var outcome = Parse(line);
        Assert.True(outcome.Options is not null || outcome.StdoutText is not null || outcome.StderrText is not null
            || (outcome.ExitCode == 1 && line.Contains("--message-level", StringComparison.Ordinal)));
        Assert.True(outcome.Options is null || outcome.ExitCode == 0);
    }

    [Fact]
    public void Option_like_and_empty_values_are_bound_as_given()
    {
        // As with getopt, the word after an option that takes an argument is its argument, whatever it looks like.
        var loop = OptionLoop.Run(["-x", "--", "--config=", "-i", "-l", "--diskset", "d1", "--diskset=d2", "-g", "", "a"]);
        Assert.Null(loop.Failure);
        Assert.True(OptionBinder.TryBind(loop, out var o, out var errors), string.Join(" ", errors));
        Assert.Equal("--", o.Vmlinux);
        Assert.Equal(string.Empty, o.ConfigFile);
        Assert.Equal("-l", o.VmcoreinfoFile);
        Assert.Equal(string.Empty, o.GenerateVmcoreinfo);
        Assert.Equal(["d1", "d2"], o.Diskset);
        Assert.Equal(["a"], o.Positionals);
        Assert.Equal(CompressionKind.None, o.Compression);
        Assert.Equal(["-x", "--config", "-i", "--diskset", "-g"], o.UnsupportedOptions);
    }

    [Fact]
    public void Unsupported_values_are_bound_for_callers_that_inspect_them()
    {
        var loop = OptionLoop.Run(["--vtop", "0xffffffff81000000", "--xen_phys_start=100", "-X", "-e", "--mem-usage", "a"]);
        Assert.True(OptionBinder.TryBind(loop, out var o, out _));
        Assert.Equal(0xffffffff81000000UL, o.VtopAddress);
        Assert.Equal(0x100UL, o.XenPhysStart);
        Assert.True(o.ExcludeXenDom && o.ExcludeVmemmap && o.MemUsage);
        Assert.Equal(RunMode.MemUsage, o.Mode);
    }
}
