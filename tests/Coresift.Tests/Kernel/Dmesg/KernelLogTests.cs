using System.Diagnostics;
using System.Text;
using Coresift.Common;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Kernel.Dmesg;
using Coresift.Tests.Integration;
using Coresift.Tests.Synthetic;
using Xunit.Abstractions;
using static Coresift.Tests.Kernel.Dmesg.LogEntry;

namespace Coresift.Tests.Kernel.Dmesg;

/// <summary>--dump-dmesg: the three log formats, byte for byte against makedumpfile 1.7.2 (run live on the same files).</summary>
public class KernelLogTests(ITestOutputHelper output)
{
    // ---------------------------------------------------------------- helpers

    /// <summary>Texts that exercise the output format: embedded newlines, whitespace, escapes, high bytes, NUL, extreme timestamps.</summary>
    private static LogEntry[] FormatTexts() =>
    [
        Of(0, "plain line"),
        Of(1_234_567_891, "two\nlines"),
        Of(99_999_999_999_999, "tab\there cr\rvt\vff\f end"),
        Of(5_000_001_000, "high \u00c3\u00a9 bytes \u0080 \u00ff del\u007f nul\0after"),
        Of(6_000_000_000, "ends with newline\n"),
        Of(7_000_000_000, ""),
        Of(ulong.MaxValue, "max ts"),
        new LogEntry(8_000_000_000, [1, 2, 0x1b, 0x20, 0x7e]),
        Of(9_000_000_000, "caller T", 1234),
        Of(10_000_000_000, "caller C", 0x80000007),
    ];

    /// <summary>n records of varying length, timestamps one second apart.</summary>
    private static LogEntry[] Many(int n) =>
        Enumerable.Range(0, n).Select(i => Of((ulong)i * 1_000_000_007, $"record {i} " + new string((char)('a' + i % 26), 20 + i % 7))).ToArray();

    /// <summary>What makedumpfile writes for these records, formatted independently of the code under test.</summary>
    private static string Expected(IEnumerable<LogEntry> entries)
    {
        var sb = new StringBuilder();
        foreach (var e in entries)
        {
            string prefix = $"[{e.TsNsec / 1_000_000_000,5}.{e.TsNsec % 1_000_000_000 / 1000:D6}] ";
            sb.Append(prefix);
            foreach (byte b in e.Text)
            {
                if (b == '\n')
                    sb.Append('\n').Append(' ', prefix.Length);
                else if (b is >= 0x20 and < 0x7f or >= 9 and <= 13)
                    sb.Append((char)b);
                else if (b < 0x80)
                    sb.Append($"\\x{b:x2}");
                else
                    sb.Append($"\\xffffff{b:x2}"); // a sign-extended char through %02x
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Bytes as a string with one char per byte (readable assertion diffs).</summary>
    private static string Str(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>Reads the log of an image through fake memory.</summary>
    private static KernelLogResult Run(DmesgImage img, bool partial = false) => KernelLog.Extract(img.Info, img.ToMemory(), partial);

    /// <summary>Reads the log of a vmcore file through its own page tables.</summary>
    private static KernelLogResult Ours(string vmcore, bool partial)
    {
        using var input = DumpInput.Open(vmcore, Limits.Default);
        var model = KernelModel.Build(input, Limits.Default, needPageStructs: false);
        Assert.NotNull(model.Info);
        Assert.NotNull(model.AddressSpace);
        return KernelLog.Extract(model.Info, model.AddressSpace, partial);
    }

    /// <summary>makedumpfile --dump-dmesg on a file (exit code, log bytes, console output), or null when it is not installed outside CI.</summary>
    private (int Rc, byte[] Text, string Console)? Makedumpfile(string vmcore, bool partial)
    {
        if (TestEnvironment.Makedumpfile is not { } mdf)
        {
            Assert.False(TestEnvironment.IsCi, "makedumpfile must be installed in CI (./build.sh test installs it)");
            output.WriteLine("makedumpfile is not installed: live comparison not run");
            return null;
        }
        string outPath = Path.Combine(Path.GetTempPath(), $"coresift-dmesg-{Guid.NewGuid():N}.txt");
        try
        {
            var args = new List<string> { "--dump-dmesg" };
            if (partial)
                args.Add("--partial-dmesg");
            args.AddRange([vmcore, outPath]);
            var (rc, stdout, stderr) = TestEnvironment.Run(mdf, args, timeoutMs: 60_000);
            return (rc, File.Exists(outPath) ? File.ReadAllBytes(outPath) : [], stdout + stderr);
        }
        finally
        {
            File.Delete(outPath);
        }
    }

    /// <summary>Writes the image as a vmcore, reads it with coresift (through page tables) and with makedumpfile, and compares.</summary>
    /// <returns>coresift's result, for further checks.</returns>
    private KernelLogResult AssertSameAsMakedumpfile(DmesgImage img, bool partial)
    {
        using var f = new TempVmcore(img.ToVmcore());
        var ours = Ours(f.Path, partial);
        // The same image through fake memory gives the same answer.
        var fake = Run(img, partial);
        Assert.Equal(Str(fake.Text), Str(ours.Text));
        Assert.Equal(fake.Warning, ours.Warning);
        if (Makedumpfile(f.Path, partial) is not { } theirs)
            return ours;
        Assert.Equal(Str(theirs.Text), Str(ours.Text));
        // makedumpfile fails (exit 1) exactly when it stops at a corrupt log, saying why in the same words.
        Assert.Equal(theirs.Rc != 0, ours.Warning is not null);
        if (ours.Warning is not null)
            Assert.Contains(ours.Warning[..(ours.Warning.IndexOf('.') + 1)], theirs.Console);
        return ours;
    }

    // ---------------------------------------------------------------- format selection

    [Fact]
    public void The_format_is_chosen_from_vmcoreinfo_as_makedumpfile_does()
    {
        Assert.Equal(KernelLogFormat.PrintkRingbuffer, KernelLog.DetectFormat(VmcoreInfo.Parse("SYMBOL(prb)=ffffffff81000000\nSYMBOL(log_buf)=ffffffff81000100\nSYMBOL(log_buf_len)=ffffffff81000200\n")));
        Assert.Equal(KernelLogFormat.PrintkLog, KernelLog.DetectFormat(VmcoreInfo.Parse("SYMBOL(log_buf)=ffffffff81000100\nSYMBOL(log_buf_len)=ffffffff81000200\n")));
        Assert.Equal(KernelLogFormat.PlainBuffer, KernelLog.DetectFormat(VmcoreInfo.Parse("SYMBOL(log_buf)=ffffffff81000100\nSYMBOL(log_buf_len)=ffffffff81000200\nSYMBOL(log_end)=ffffffff81000300\n")));
        var e = Assert.Throws<BadInputException>(() => KernelLog.DetectFormat(VmcoreInfo.Parse("OSRELEASE=6.1.0\n")));
        Assert.Contains("SYMBOL(prb)", e.Message);
    }

    [Theory]
    [InlineData("2.6.24", true)]
    [InlineData("2.6.18-8.el5", true)]
    [InlineData("2.6.25", false)]
    [InlineData("3.2.0-4-amd64", false)]
    [InlineData("garbage", false)]
    [InlineData(null, false)]
    public void Log_end_is_an_unsigned_long_up_to_2_6_24(string? release, bool isLong) =>
        Assert.Equal(isLong, PlainLogBuffer.LogEndIsLong(release));

    // ---------------------------------------------------------------- 3.5-5.9: struct printk_log records

    /// <summary>Record header variants: plain 16 bytes; caller_id packed (x86, 20) or 8-aligned (24); struct log of 3.5-3.10.</summary>
    public static TheoryData<int, int, bool, string> RecordLayouts => new()
    {
        { 16, 4, false, "printk_log" },
        { 20, 4, true, "printk_log" },
        { 24, 8, true, "printk_log" },
        { 16, 4, false, "log" },
    };

    [Theory]
    [MemberData(nameof(RecordLayouts))]
    public void Records_are_printed_with_timestamp_escapes_and_indented_newlines(int header, int align, bool callerId, string structName)
    {
        var img = new DmesgImage { OsRelease = structName == "log" ? "3.10.0-synthetic" : "5.4.0-synthetic" };
        new PrintkLogBuilder(img, 4096, header, align, callerId, structName).Add(FormatTexts());
        var r = AssertSameAsMakedumpfile(img, partial: false);
        Assert.Equal(KernelLogFormat.PrintkLog, r.Format);
        Assert.Null(r.Warning);
        // makedumpfile 1.7.2 prints no caller column even when caller_id is exported.
        Assert.Equal(Expected(FormatTexts()), Str(r.Text));
    }

    [Fact]
    public void A_wrapped_record_ring_is_read_oldest_first_and_partial_starts_at_clear_idx()
    {
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        var b = new PrintkLogBuilder(img, 1024).Add(Many(40));
        var live = b.Live.Select(l => l.Entry).ToArray();
        Assert.True(live.Length is > 5 and < 40, "the ring must have dropped records");
        Assert.Contains(b.Live, l => l.Idx == 0); // and wrapped (len = 0 marker before offset 0)
        b.ClearBefore(5);
        Assert.Equal(Expected(live), Str(AssertSameAsMakedumpfile(img, partial: false).Text));
        Assert.Equal(Expected(live[5..]), Str(AssertSameAsMakedumpfile(img, partial: true).Text));
    }

    [Fact]
    public void Without_clear_idx_in_vmcoreinfo_partial_prints_everything()
    {
        var img = new DmesgImage { OsRelease = "3.10.0-synthetic" };
        var b = new PrintkLogBuilder(img, 1024, structName: "log", exportClearIdx: false).Add(Many(6));
        b.ClearBefore(3);
        Assert.Equal(Expected(Many(6)), Str(AssertSameAsMakedumpfile(img, partial: true).Text));
    }

    [Fact]
    public void An_empty_ring_and_a_clear_at_the_end_print_nothing()
    {
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        var b = new PrintkLogBuilder(img, 1024).Add(Many(3));
        b.ClearBefore(3);
        Assert.Empty(AssertSameAsMakedumpfile(img, partial: true).Text);
        b.SetIndices(48, 48, 48);
        Assert.Empty(AssertSameAsMakedumpfile(img, partial: false).Text);
    }

    /// <summary>Corrupt record chains: (records at offset with len; 0 = wrap marker), start, next, expected offsets printed, message.</summary>
    public static TheoryData<string, (uint At, int Len)[], uint, uint, uint[], string> CorruptChains => new()
    {
        // start 96 .. marker at 320 -> 0, 32, 64 -> 160: back inside the chain
        { "cycle into the middle", [(96, 32), (128, 32), (160, 32), (192, 32), (224, 32), (256, 32), (288, 32), (320, 0), (0, 32), (32, 32), (64, 96)], 96, 8,
            [96, 128, 160, 192, 224, 256, 288, 0, 32, 64], "Cycle when parsing dmesg detected." },
        // the second wrap marker (900) sends the walk to 0 again: record 0 prints twice, then 32 repeats
        { "two wrap markers", [(500, 32), (532, 32), (564, 0), (0, 32), (32, 32), (64, 836), (900, 0)], 500, 8,
            [500, 532, 0, 32, 64, 0], "Cycle when parsing dmesg detected." },
        { "cycle not through the start", [(320, 32), (352, 32), (384, 32), (416, 32), (448, 32), (480, 0), (0, 32), (32, 32), (64, 32), (96, 32), (128, 32), (160, 32), (192, 32), (224, 32), (256, 96)], 320, 8,
            [320, 352, 384, 416, 448, 0, 32, 64, 96, 128, 160, 192, 224, 256], "Cycle when parsing dmesg detected." },
        // a wrap marker at offset 0 itself: record 0 stands in for itself forever
        { "marker at offset 0", [(0, 0)], 0, 8, [0], "Cycle when parsing dmesg detected." },
        // a header that would run past the end of the buffer (1016 + 16 > 1024), even when log_next_idx points there
        { "header past the end", [(960, 56)], 960, 1016, [960], "Index outside log_buf detected." },
        { "len past the end", [(0, 32), (32, 2000)], 0, 8, [0, 32], "Index outside log_buf detected." },
        { "start past the end", [(0, 32)], 5000, 8, [], "Index outside log_buf detected." },
        // 1008 + 16 = 1024 still fits: the zeroed header there (len 0) wraps to 0, and then 32 repeats
        { "last header that fits", [(0, 32), (32, 976)], 0, 8, [0, 32, 0], "Cycle when parsing dmesg detected." },
    };

    [Theory]
    [MemberData(nameof(CorruptChains))]
    public void Corrupt_record_chains_print_up_to_the_corruption_and_warn(string name, (uint At, int Len)[] records, uint start, uint next, uint[] printed, string message)
    {
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        var b = new PrintkLogBuilder(img, 1024);
        LogEntry At(uint at) => Of((ulong)at * 1_000_000, $"at {at}");
        foreach (var (at, len) in records)
            b.Place(at, At(at), len);
        b.SetIndices(start, next, start);
        // makedumpfile reads outside its buffer copy for a start beyond it (undefined): compare only the defined cases live.
        var r = start < 1024 ? AssertSameAsMakedumpfile(img, partial: false) : Run(img);
        Assert.Equal(Expected(printed.Select(At)), Str(r.Text));
        Assert.NotNull(r.Warning);
        Assert.StartsWith(message, r.Warning);
        Assert.Contains(KernelLog.CorruptedMessage, r.Warning);
        output.WriteLine($"{name}: {r.Warning}");
    }

    [Fact]
    public void Text_running_past_its_record_is_printed_as_makedumpfile_does()
    {
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        var b = new PrintkLogBuilder(img, 1024).Add(Many(5));
        b.PatchU16(b.Live.Last().Idx, 10, 60); // text_len reaches into the free space after the last record
        var r = AssertSameAsMakedumpfile(img, partial: false);
        Assert.EndsWith("eeeeeeeeeeeeeeeeeeeeeeee" + string.Concat(Enumerable.Repeat("\\x00", 60 - 33)) + "\n", Str(r.Text));
    }

    [Fact]
    public void Overlapping_records_stop_once_their_text_exceeds_the_buffer()
    {
        // Every record is 16 bytes apart but claims 60000 bytes of text: an intact ring cannot hold that.
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        var b = new PrintkLogBuilder(img, 65536);
        for (uint at = 0; at < 65536; at += 16)
        {
            b.Place(at, Of(at, ""), 16);
            b.PatchU16(at, 10, 60000);
        }
        b.SetIndices(0, 8, 0);
        var sw = Stopwatch.StartNew();
        var r = Run(img);
        Assert.True(sw.ElapsedMilliseconds < 5000);
        Assert.NotNull(r.Warning);
        Assert.Contains("Overlapping", r.Warning);
        Assert.True(r.Text.Length < 65536 * 8);
    }

    [Theory]
    [InlineData(0xffffffffu)]
    [InlineData(8u)]
    public void Absurd_record_buffer_sizes_are_refused(uint logBufLen)
    {
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        var b = new PrintkLogBuilder(img, 1024).Add(Many(3));
        img.U32(b.LenVar, logBufLen);
        Assert.Throws<BadInputException>(() => Run(img));
    }

    [Theory]
    [InlineData("SIZE(printk_log)")]
    [InlineData("OFFSET(printk_log.len)")]
    [InlineData("SYMBOL(log_first_idx)")]
    [InlineData("OFFSET(printk_log.ts_nsec)")]
    public void Missing_record_layout_entries_are_named(string key)
    {
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        new PrintkLogBuilder(img, 1024).Add(Many(3));
        img.Lines.RemoveAll(l => l.StartsWith(key + "=", StringComparison.Ordinal));
        var e = Assert.Throws<BadInputException>(() => Run(img));
        Assert.Contains(key, e.Message);
    }

    [Theory]
    [InlineData("SIZE(printk_log)=9223372036854775807")]
    [InlineData("SIZE(printk_log)=4")]
    [InlineData("OFFSET(printk_log.ts_nsec)=12")]
    [InlineData("OFFSET(printk_log.len)=-2")]
    [InlineData("OFFSET(printk_log.text_len)=0x7fffffffffffffff")]
    public void Record_layouts_that_do_not_fit_the_header_are_refused(string entry)
    {
        var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
        new PrintkLogBuilder(img, 1024).Add(Many(3));
        img.Lines.RemoveAll(l => l.StartsWith(entry[..(entry.IndexOf('=') + 1)], StringComparison.Ordinal));
        img.Line(entry);
        Assert.Throws<BadInputException>(() => Run(img));
    }

    [Fact]
    public void Writing_to_a_stream_gives_the_same_bytes_as_extracting()
    {
        var img = new DmesgImage();
        new PrintkRingBuilder(img, 5, 10).Add(FormatTexts());
        using var ms = new MemoryStream();
        var (format, warning) = KernelLog.Write(img.Info, img.ToMemory(), partial: false, ms);
        Assert.Equal(KernelLogFormat.PrintkRingbuffer, format);
        Assert.Null(warning);
        Assert.Equal(Run(img).Text, ms.ToArray());
    }

    [Fact]
    public void Random_record_buffers_never_throw_anything_but_bad_input_and_end_quickly()
    {
        var rnd = new Random(1234);
        var sw = Stopwatch.StartNew();
        for (int round = 0; round < 300; round++)
        {
            var img = new DmesgImage { OsRelease = "4.14.0-synthetic" };
            uint len = 1u << rnd.Next(5, 14);
            var b = new PrintkLogBuilder(img, len);
            var buf = img.At(b.Buffer, (int)len);
            rnd.NextBytes(buf);
            // Mostly small lens so the walk goes somewhere.
            for (int i = 0; i + 16 <= buf.Length; i += 16)
            {
                buf[i + 8] = (byte)(rnd.Next(3) == 0 ? 0 : rnd.Next(1, 64));
                buf[i + 9] = 0;
            }
            b.SetIndices((uint)rnd.Next((int)len + 32), (uint)rnd.Next((int)len), (uint)rnd.Next((int)len));
            try
            {
                Run(img, partial: rnd.Next(2) == 0);
            }
            catch (CoresiftException)
            {
            }
        }
        Assert.True(sw.ElapsedMilliseconds < 20_000, $"took {sw.ElapsedMilliseconds} ms");
    }

    // ---------------------------------------------------------------- before 3.5: character ring

    [Theory]
    [InlineData("3.2.0-synthetic", false, 100u)]          // not wrapped: the first log_end bytes
    [InlineData("3.2.0-synthetic", false, 1000u)]         // wrapped: from log_end mod len round to it
    [InlineData("2.6.32-synthetic", false, 257u)]
    [InlineData("2.6.24-synthetic", true, 0x1_0000_0010UL)] // 64-bit log_end: wrapped
    [InlineData("2.6.25-synthetic", true, 0x1_0000_0010UL)] // only the low 32 bits count from 2.6.25: 16 bytes
    public void The_character_ring_is_copied_unchanged_and_in_order(string release, bool longLogEnd, ulong logEnd)
    {
        var img = new DmesgImage { OsRelease = release };
        var b = new PlainLogBuilder(img, 256, longLogEnd);
        string text = string.Concat(Enumerable.Range(0, 60).Select(i => $"<6>line {i} \u00e9\n"));
        b.Write(text[..(int)Math.Min((ulong)text.Length, logEnd)]);
        b.SetLogEnd(logEnd);
        byte[] ring = img.At(b.Buffer, 256).ToArray();
        ulong end = release.StartsWith("2.6.24", StringComparison.Ordinal) ? logEnd : (uint)logEnd;
        byte[] expected = end < 256 ? ring[..(int)end] : [.. ring[(int)(end & 255)..], .. ring[..(int)(end & 255)]];
        var full = AssertSameAsMakedumpfile(img, partial: false);
        Assert.Equal(KernelLogFormat.PlainBuffer, full.Format);
        Assert.Equal(Str(expected), Str(full.Text));
        // --partial-dmesg does not apply to this format.
        Assert.Equal(Str(expected), Str(AssertSameAsMakedumpfile(img, partial: true).Text));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(256UL)]
    [InlineData(512UL)]
    public void Log_end_at_a_multiple_of_the_length_gives_the_ring_from_its_start(ulong logEnd)
    {
        // makedumpfile 1.7.2 fails here ("Can't read dmesg log."): it asks for zero bytes. The ring itself is well defined.
        var img = new DmesgImage { OsRelease = "3.2.0-synthetic" };
        var b = new PlainLogBuilder(img, 256);
        b.Write(string.Concat(Enumerable.Range(0, 40).Select(i => $"<6>line {i}\n")));
        b.SetLogEnd(logEnd);
        var r = Run(img);
        Assert.Equal(logEnd == 0 ? "" : Str(img.At(b.Buffer, 256).ToArray()), Str(r.Text));
    }

    [Fact]
    public void An_unreadable_character_ring_is_bad_input()
    {
        var img = new DmesgImage { OsRelease = "3.2.0-synthetic" };
        var b = new PlainLogBuilder(img, 256);
        b.Write("<6>hello\n");
        img.Remove(b.Buffer);
        var e = Assert.Throws<BadInputException>(() => Run(img));
        Assert.Contains("log_buf", e.Message);
    }

    // ---------------------------------------------------------------- 5.10+: lockless printk_ringbuffer

    [Fact]
    public void Ring_records_are_printed_like_the_older_records_and_empty_ones_are_skipped()
    {
        var img = new DmesgImage();
        new PrintkRingBuilder(img, 5, 10).Add(FormatTexts());
        var r = AssertSameAsMakedumpfile(img, partial: false);
        Assert.Equal(KernelLogFormat.PrintkRingbuffer, r.Format);
        Assert.Null(r.Warning);
        // A record without text has no data block (NO_LPOS): makedumpfile skips it.
        Assert.Equal(Expected(FormatTexts().Where(e => e.Text.Length > 0)), Str(r.Text));
    }

    /// <summary>clear_seq kinds: latched with even and odd latch sequence (5.13+), plain u64 (5.10-5.12).</summary>
    public static TheoryData<string> ClearSeqKinds => new() { "latched-even", "latched-odd", "plain" };

    [Theory]
    [MemberData(nameof(ClearSeqKinds))]
    public void A_wrapped_ring_is_read_from_tail_to_head_and_partial_starts_at_clear_seq(string kind)
    {
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 4, 9, latched: kind != "plain").Add(Many(40));
        // Both rings wrapped: 40 records through 16 descriptors and 512 bytes of text.
        int firstKept = 40 - (int)r.Count;
        while (firstKept < 40 && !Survives(img, r, firstKept))
            firstKept++;
        Assert.InRange(firstKept, 24, 35);
        if (kind == "plain")
            r.SetPlainClearSeq(36);
        else
            r.SetClearSeq(36, latch: kind == "latched-odd" ? 5u : 2u, other: 1);
        Assert.Equal(Expected(Many(40)[firstKept..]), Str(AssertSameAsMakedumpfile(img, partial: false).Text));
        Assert.Equal(Expected(Many(40)[36..]), Str(AssertSameAsMakedumpfile(img, partial: true).Text));
    }

    /// <summary>True when record i's descriptor is still finalized (not recycled).</summary>
    private static bool Survives(DmesgImage img, PrintkRingBuilder r, int i)
    {
        ulong id = r.Ids[i];
        return img.ReadU64(r.Descs + (id & (r.Count - 1)) * 24) == ((PrintkRingBuilder.Finalized << 62) | id);
    }

    [Fact]
    public void Partial_with_an_old_clear_seq_takes_the_descriptor_of_the_same_index_as_makedumpfile()
    {
        // clear_seq 5 is older than every record left; makedumpfile still starts at the descriptor whose index is 5 mod 16.
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 4, 9).Add(Many(40));
        r.SetClearSeq(5);
        Assert.Equal(Expected(Many(40)[37..]), Str(AssertSameAsMakedumpfile(img, partial: true).Text));
    }

    [Fact]
    public void Partial_with_clear_seq_index_past_head_index_goes_one_lap_back()
    {
        // head is seq 39 (index 7); clear_seq 30 has index 14 > 7. makedumpfile 1.7.2 starts past head_id here and
        // never ends; the record with seq 30 is one lap back.
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 4, 9).Add(Many(40));
        r.SetClearSeq(30);
        var res = Run(img, partial: true);
        Assert.Null(res.Warning);
        Assert.Equal(Expected(Many(40)[30..]), Str(res.Text));
    }

    [Fact]
    public void Descriptor_states_ids_and_block_positions_decide_what_prints()
    {
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 5, 10);
        var records = Many(12);
        var ids = records.Select(e => r.Append(e)).ToArray();
        r.Append(Of(30_000_000_000, "committed"), PrintkRingBuilder.Committed);
        r.Append(Of(40_000_000_000, "reserved"), PrintkRingBuilder.Reserved);
        r.Append(Of(50_000_000_000, "reusable"), PrintkRingBuilder.Reusable);
        const ulong fin = PrintkRingBuilder.Finalized << 62;
        ulong Index(int i) => ids[i] & (r.Count - 1);
        // record 1: FAILED_LPOS (no data)
        r.PatchDesc(Index(1), fin | ids[1], 1, 1);
        // record 6: the descriptor holds a later id (recycled): skipped
        r.PatchDesc(Index(6), fin | (ids[6] + r.Count), 0x100, 0x140);
        // record 7: text_len larger than its block: cut to the block, padding included
        img.U16(r.Infos + Index(7) * 88 + 16, 500);
        // record 8: a block too short for its id word: next - begin is negative, so text_len is not cut (zeros there)
        r.PatchDesc(Index(8), fin | ids[8], 0x3c4, 0x3c8);
        // record 9: begin and next a whole ring apart: equal modulo the size, skipped
        r.PatchDesc(Index(9), fin | ids[9], 0x40, 0x440);
        // record 10: a wrapped block (begin near the end, next past the wrap): its text is at offset 8, up to 0x10
        r.PatchDesc(Index(10), fin | ids[10], 0x3f0, 0x410);
        var res = AssertSameAsMakedumpfile(img, partial: false);
        string text = Str(res.Text);
        Assert.Contains("committed", text);
        Assert.DoesNotContain("reserved", text);
        Assert.DoesNotContain("reusable", text);
        foreach (int skipped in new[] { 1, 6, 9 })
            Assert.DoesNotContain($"record {skipped} ", text);
        int len7 = records[7].Text.Length, block7 = (8 + len7 + 7) & ~7;
        Assert.Contains(Str(records[7].Text) + string.Concat(Enumerable.Repeat("\\x00", block7 - 8 - len7)) + "\n", text);
        Assert.Contains("[    8.000000] " + string.Concat(Enumerable.Repeat("\\x00", records[8].Text.Length)) + "\n", text);
        Assert.Contains("[   10.000000] record 0\n", text);
    }

    [Fact]
    public void The_older_40_byte_descriptor_ring_layout_is_read_from_vmcoreinfo()
    {
        var img = new DmesgImage { OsRelease = "5.10.0-synthetic" };
        new PrintkRingBuilder(img, 5, 10, latched: false, oldRingLayout: true).Add(Many(10));
        Assert.Equal(Expected(Many(10)), Str(AssertSameAsMakedumpfile(img, partial: false).Text));
    }

    [Fact]
    public void Ids_wrap_at_2_to_the_62()
    {
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 5, 10, firstId: PrintkRingBuilder.IdMask - 5).Add(Many(12));
        Assert.Equal(6UL, r.HeadId);
        Assert.Equal(Expected(Many(12)), Str(AssertSameAsMakedumpfile(img, partial: false).Text));
        // The first record has seq 27 (seq and id agree modulo 32): seq 33 is record 6, id 1.
        r.SetClearSeq(33);
        Assert.Equal(Expected(Many(12)[6..]), Str(AssertSameAsMakedumpfile(img, partial: true).Text));
    }

    [Fact]
    public void A_head_far_past_the_tail_prints_the_records_makedumpfile_finds()
    {
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 5, 10).Add(Many(5));
        r.PatchIds((r.HeadId + 100) & PrintkRingBuilder.IdMask, r.TailId);
        Assert.Equal(Expected(Many(5)), Str(AssertSameAsMakedumpfile(img, partial: false).Text));
    }

    [Fact]
    public void A_tail_past_the_head_ends_at_once()
    {
        // The id range wraps almost all of 2^62: makedumpfile 1.7.2 steps through it for ever.
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 5, 10).Add(Many(5));
        r.PatchIds(r.HeadId, (r.HeadId + 3) & PrintkRingBuilder.IdMask);
        var sw = Stopwatch.StartNew();
        var res = Run(img);
        Assert.True(sw.ElapsedMilliseconds < 2000);
        Assert.Equal(Expected(Many(5)), Str(res.Text));
    }

    /// <summary>Hostile ring fields: count_bits, size_bits (offsets 0 and 48 of the ring struct).</summary>
    public static TheoryData<int, uint> AbsurdBits => new()
    {
        { 0, 0xffffffff }, { 0, 63 }, { 0, 26 }, { 0, 11 },   // count_bits: huge, or more descriptors than text bytes
        { 48, 0xffffffff }, { 48, 64 }, { 48, 31 }, { 48, 4 }, // size_bits
    };

    [Theory]
    [MemberData(nameof(AbsurdBits))]
    public void Absurd_ring_sizes_are_refused_at_once(int offset, uint value)
    {
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 5, 10).Add(Many(5));
        r.PatchRingU32(offset == 0 ? 0 : r.TextDataRingOffset, value);
        var mem = img.ToMemory();
        var sw = Stopwatch.StartNew();
        Assert.Throws<BadInputException>(() => KernelLog.Extract(img.Info, mem, partial: false));
        Assert.True(sw.ElapsedMilliseconds < 1000);
        Assert.True(mem.Reads < 100, $"{mem.Reads} reads");
    }

    [Theory]
    [InlineData("prb")]
    [InlineData("descs")]
    [InlineData("data")]
    public void Unreadable_ring_memory_is_bad_input(string what)
    {
        var img = new DmesgImage();
        var r = new PrintkRingBuilder(img, 5, 10).Add(Many(5));
        img.Remove(what switch { "prb" => r.Ring, "descs" => r.Descs, _ => r.Data });
        Assert.Throws<BadInputException>(() => Run(img));
    }

    [Theory]
    [InlineData("SIZE(printk_info)=100000")]
    [InlineData("OFFSET(prb_desc.state_var)=20")]
    [InlineData("OFFSET(printk_ringbuffer.text_data_ring)=80")]
    [InlineData("OFFSET(latched_seq.val)=-8")]
    [InlineData("OFFSET(latched_seq.val)=9223372036854775807")]
    [InlineData("SIZE(latched_seq)=-9223372036854775808")]
    [InlineData("OFFSET(atomic_long_t.counter)=99999999999")]
    [InlineData("SIZE(prb_desc)=-1")]
    [InlineData("OFFSET(prb_desc_ring.count_bits)=0xffffffffffffffff")]
    public void Ring_layouts_that_do_not_fit_their_structs_are_refused(string entry)
    {
        var img = new DmesgImage();
        new PrintkRingBuilder(img, 5, 10).Add(Many(5));
        string key = entry[..(entry.IndexOf('=') + 1)];
        img.Lines.RemoveAll(l => l.StartsWith(key, StringComparison.Ordinal));
        img.Line(entry);
        Assert.Throws<BadInputException>(() => Run(img, partial: true));
    }

    [Fact]
    public void Random_rings_never_throw_anything_but_bad_input_and_end_quickly()
    {
        var rnd = new Random(4321);
        var sw = Stopwatch.StartNew();
        for (int round = 0; round < 300; round++)
        {
            var img = new DmesgImage();
            int countBits = rnd.Next(0, 8), sizeBits = Math.Max(countBits, 7) + rnd.Next(0, 4);
            var r = new PrintkRingBuilder(img, countBits, sizeBits).Add(Many(rnd.Next(0, 20)));
            var descs = img.At(r.Descs, (int)r.Count * 24);
            var infos = img.At(r.Infos, (int)r.Count * 88);
            for (int i = 0; i < rnd.Next(0, 8); i++)
                rnd.NextBytes(descs.Slice(rnd.Next(descs.Length / 8) * 8, 8));
            for (int i = 0; i < rnd.Next(0, 8); i++)
                rnd.NextBytes(infos.Slice(rnd.Next(infos.Length / 8) * 8, 8));
            if (rnd.Next(3) == 0)
                r.PatchIds((ulong)rnd.NextInt64() << rnd.Next(2), (ulong)rnd.NextInt64() << rnd.Next(2));
            if (rnd.Next(4) == 0)
                r.PatchRingU32(0, (uint)rnd.Next(0, 40));
            r.SetClearSeq((ulong)rnd.NextInt64(), (uint)rnd.Next(), (ulong)rnd.NextInt64());
            try
            {
                Run(img, partial: rnd.Next(2) == 0);
            }
            catch (CoresiftException)
            {
            }
        }
        Assert.True(sw.ElapsedMilliseconds < 20_000, $"took {sw.ElapsedMilliseconds} ms");
    }

    // ---------------------------------------------------------------- real vmcores

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_sample_vmcores_log_is_byte_identical_to_makedumpfiles(bool partial)
    {
        var ours = Ours(TestEnvironment.SampleVmcore, partial);
        Assert.Equal(KernelLogFormat.PrintkRingbuffer, ours.Format);
        Assert.Null(ours.Warning);
        Assert.StartsWith("[    0.000000] Linux version 6.1.", Str(ours.Text));
        if (Makedumpfile(MakedumpfileCopy.For(TestEnvironment.SampleVmcore), partial) is not { } theirs)
            return;
        Assert.Equal(0, theirs.Rc);
        Assert.Equal(Str(theirs.Text), Str(ours.Text));
    }

    [Fact]
    public void Partial_dmesg_on_the_sample_starts_at_a_patched_clear_seq()
    {
        // Nobody ran "dmesg -c" in the sample guest (clear_seq 0): set clear_seq to 300 in a copy, in both latch copies.
        string copy = Path.Combine(Path.GetTempPath(), $"coresift-dmesg-{Guid.NewGuid():N}.elf");
        var (rc, _, err) = TestEnvironment.Run("cp", ["--sparse=always", MakedumpfileCopy.For(TestEnvironment.SampleVmcore), copy]);
        Assert.True(rc == 0, err);
        try
        {
            PatchClearSeq(copy, 300);
            var full = Ours(copy, partial: false);
            var ours = Ours(copy, partial: true);
            Assert.Null(ours.Warning);
            Assert.True(ours.Text.Length > 0 && ours.Text.Length < full.Text.Length / 2);
            Assert.EndsWith(Str(ours.Text), Str(full.Text));
            if (Makedumpfile(copy, partial: true) is not { } theirs)
                return;
            Assert.Equal(0, theirs.Rc);
            Assert.Equal(Str(theirs.Text), Str(ours.Text));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    /// <summary>Writes seq into both copies of the latched clear_seq, at every file offset that holds them.</summary>
    private static void PatchClearSeq(string vmcore, ulong seq)
    {
        var offsets = new List<long>();
        using (var input = DumpInput.Open(vmcore, Limits.Default))
        {
            var model = KernelModel.Build(input, Limits.Default, needPageStructs: false);
            ulong vaddr = model.Info!.Symbol("clear_seq")!.Value + (ulong)model.Info.Offset("latched_seq.val")!.Value;
            Assert.True(model.AddressSpace!.TryTranslate(vaddr, out ulong paddr, out _));
            foreach (var l in input.Elf!.Loads)
                if (paddr >= l.PhysicalAddress && paddr + 16 <= l.PhysicalAddress + l.FileSize)
                    offsets.Add((long)(l.Offset + paddr - l.PhysicalAddress));
        }
        Assert.NotEmpty(offsets);
        using var f = new FileStream(vmcore, FileMode.Open, FileAccess.ReadWrite);
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, seq);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), seq);
        foreach (long o in offsets)
        {
            f.Position = o;
            f.Write(bytes);
        }
    }

    [Fact]
    public void Extra_vmcores_logs_are_byte_identical_to_makedumpfiles()
    {
        foreach (string vmcore in TestEnvironment.ExtraVmcores)
        {
            foreach (bool partial in new[] { false, true })
            {
                var ours = Ours(vmcore, partial);
                if (Makedumpfile(MakedumpfileCopy.For(vmcore), partial) is not { } theirs)
                    return;
                Assert.Equal(0, theirs.Rc);
                Assert.True(theirs.Text.AsSpan().SequenceEqual(ours.Text), $"{vmcore} (partial {partial}): the logs differ");
                output.WriteLine($"{vmcore} partial={partial}: {ours.Text.Length} bytes identical");
            }
        }
    }
}
