using System.Buffers.Binary;
using System.Text;
using Coresift.App.Commands;
using Coresift.Codecs;
using Coresift.Common;
using Coresift.Input;
using Coresift.Output;
using Coresift.Tests.Integration;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Output;

/// <summary>SIGTERM/SIGINT/SIGHUP, through the injectable <see cref="DumpInterrupt"/>: the dump stops, stays readable, and is marked incomplete.</summary>
public class InterruptTests
{
    /// <summary>A synthetic kernel with a few thousand dumpable pages (some compressible, some not).</summary>
    private static SyntheticKernel Kernel()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 0x2100000)]) { Cpus = 2 };
        var rng = new Random(11);
        for (ulong pfn = 0x100; pfn < 0x1c00; pfn++)
        {
            var page = k.Page(pfn);
            if (pfn % 3 == 0) rng.NextBytes(page);
            else Array.Fill(page, (byte)(pfn & 0xff));
        }
        k.SetBuddy(0x1000, 6);
        return k;
    }

    /// <summary>A TextWriter that calls back on every write (to interrupt when the progress line reaches a stage).</summary>
    private sealed class Tap(Action<string> seen) : StringWriter
    {
        public override void Write(string? value)
        {
            base.Write(value);
            if (value is not null)
                seen(value);
        }

        public override void Write(char value) => base.Write(value);
    }

    private static (int Rc, string Stdout, string Stderr) Run(DumpInterrupt interrupt, string[] args, Stream? binaryOut = null, Action<string>? onStderr = null)
    {
        var o = new StringWriter();
        var e = onStderr is null ? new StringWriter() : new Tap(onStderr);
        int rc = CommandRunner.Run(args, o, e, binaryOut, interrupt: interrupt);
        return (rc, o.ToString(), e.ToString());
    }

    /// <summary>Checks an interrupted kdump file: header and both bitmaps as a full run has them, the incomplete flag,
    /// written pages equal to the input, lost pages with zero descriptors; returns (written, lost).</summary>
    private static (ulong Good, ulong Lost) CheckIncomplete(string output, string vmcore, string reference)
    {
        using var file = VmcoreFile.Open(output);
        var dump = new KdumpFile(file, Limits.Default);
        using var refFile = VmcoreFile.Open(reference);
        var full = new KdumpFile(refFile, Limits.Default);
        Assert.Equal(0x08u, dump.Status & 0x08u);
        Assert.Equal(full.Status, dump.Status & ~0x08u);
        Assert.Equal(full.MaxMapnr, dump.MaxMapnr);
        for (ulong pfn = 0; pfn < full.MaxMapnr; pfn++)
        {
            Assert.Equal(full.Backed.Test(pfn), dump.Backed.Test(pfn));
            Assert.Equal(full.Dumpable.Test(pfn), dump.Dumpable.Test(pfn));
        }
        using var input = DumpInput.Open(vmcore, Limits.Default);
        var a = new byte[4096];
        var b = new byte[4096];
        ulong good = 0, lost = 0;
        for (ulong pfn = dump.Dumpable.NextSet(0); pfn != ulong.MaxValue; pfn = dump.Dumpable.NextSet(pfn + 1))
        {
            if (dump.TryReadPage(pfn, a))
            {
                Assert.True(input.Memory.TryRead(pfn << 12, b));
                Assert.True(a.AsSpan().SequenceEqual(b), $"pfn {pfn:x} differs");
                // Compressed dumps write kernel metadata (page tables, struct pages, ...) first, so a page after a
                // lost one may be there: what counts is that every page present is the input's page.
                good++;
            }
            else
            {
                Assert.Equal(0L, dump.Descriptor(pfn).Offset);
                lost++;
            }
        }
        return (good, lost);
    }

    [Theory]
    [InlineData("-l")]
    [InlineData("-c")]
    [InlineData("")]
    public void An_interrupt_before_the_pages_still_writes_the_header_and_both_bitmaps(string codec)
    {
        using var vmcore = new TempVmcore(Kernel().ToElf());
        string reference = vmcore.Path + ".ref", output = vmcore.Path + ".kdump";
        try
        {
            string[] opts = codec == "" ? ["-d", "31"] : [codec, "-d", "31"];
            Assert.Equal(0, TestEnvironment.RunCoresift([.. opts, vmcore.Path, reference]).Rc);
            using var interrupt = new DumpInterrupt();
            interrupt.Request("SIGTERM");
            var (rc, stdout, err) = Run(interrupt, [.. opts, vmcore.Path, output]);
            Assert.Equal(1, rc);
            Assert.Contains("coresift: Interrupted by SIGTERM", err);
            Assert.Contains("This is an incomplete dumpfile", stdout);
            Assert.Contains("coresift Failed.", stdout);
            var (good, lost) = CheckIncomplete(output, vmcore.Path, reference);
            Assert.Equal(0UL, good);
            Assert.True(lost > 0x1000);
        }
        finally
        {
            File.Delete(reference);
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void An_interrupt_while_copying_keeps_every_page_written_so_far(int threads)
    {
        using var vmcore = new TempVmcore(Kernel().ToElf());
        string reference = vmcore.Path + ".ref", output = vmcore.Path + ".kdump";
        try
        {
            string[] opts = ["-l", "-d", "31", "--num-threads", threads.ToString()];
            Assert.Equal(0, TestEnvironment.RunCoresift([.. opts, vmcore.Path, reference]).Rc);
            using var interrupt = new DumpInterrupt();
            // The progress line is first drawn after the kernel metadata written first: interrupt there, mid-copy.
            var (rc, _, err) = Run(interrupt, [.. opts, "--message-level", "31", vmcore.Path, output],
                onStderr: s => { if (s.Contains("Copying data")) interrupt.Request("SIGINT"); });
            Assert.Equal(1, rc);
            Assert.Contains("Interrupted by SIGINT", err);
            var (good, lost) = CheckIncomplete(output, vmcore.Path, reference);
            Assert.True(good > 0, $"{good} pages written"); // at least the kernel metadata written first
            Assert.True(lost > 0, "nothing was lost: the interrupt came too late");
            Assert.True(new FileInfo(output).Length < new FileInfo(reference).Length);
        }
        finally
        {
            File.Delete(reference);
            File.Delete(output);
        }
    }

    [Fact]
    public void An_interrupt_does_not_retry_at_the_next_dump_level()
    {
        using var vmcore = new TempVmcore(Kernel().ToElf());
        string output = vmcore.Path + ".kdump";
        try
        {
            using var interrupt = new DumpInterrupt();
            interrupt.Request("SIGHUP");
            var (rc, stdout, err) = Run(interrupt, ["-d", "0,31", vmcore.Path, output]);
            Assert.Equal(1, rc);
            Assert.DoesNotContain("Retry", stdout);
            Assert.Contains("Interrupted by SIGHUP", err);
            using var file = VmcoreFile.Open(output);
            var dump = new KdumpFile(file, Limits.Default);
            Assert.Equal(0, dump.DumpLevel);
            Assert.Equal(0x08u, dump.Status & 0x08u);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void An_interrupted_elf_dump_has_e_flags_bit_0_and_its_headers()
    {
        using var vmcore = new TempVmcore(Kernel().ToElf());
        string output = vmcore.Path + ".elf";
        try
        {
            using var interrupt = new DumpInterrupt();
            interrupt.Request("SIGTERM");
            var (rc, _, err) = Run(interrupt, ["-E", "-d", "31", vmcore.Path, output]);
            Assert.Equal(1, rc);
            Assert.Contains("Interrupted by SIGTERM", err);
            var bytes = File.ReadAllBytes(output);
            Assert.True(bytes.AsSpan(0, 4).SequenceEqual(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }));
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(48)) & 1u);
            // The program headers and the notes are all there: the ELF reader opens it and finds the VMCOREINFO.
            Assert.True(bytes.Length > 64);
            Assert.Contains("OSRELEASE=", Encoding.ASCII.GetString(bytes));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void An_interrupted_flattened_stream_ends_properly_and_rearranges_into_an_incomplete_dump()
    {
        using var vmcore = new TempVmcore(Kernel().ToElf());
        string output = vmcore.Path + ".kdump";
        try
        {
            using var interrupt = new DumpInterrupt();
            interrupt.Request("SIGTERM");
            var stream = new MemoryStream();
            var (rc, _, err) = Run(interrupt, ["-F", "-l", "-d", "31", vmcore.Path], binaryOut: stream);
            Assert.Equal(1, rc);
            Assert.Contains("Interrupted by SIGTERM", err);
            stream.Position = 0;
            using (var sink = FileOutputSink.Create(output, force: false, sizeLimit: null))
                Assert.True(FlattenedReader.Rearrange(stream, sink) > 0); // reaches the end marker
            using var file = VmcoreFile.Open(output);
            var dump = new KdumpFile(file, Limits.Default);
            Assert.Equal(0x08u | KdumpFlags.Lzo, dump.Status);
            Assert.True(dump.Dumpable.NextSet(0) != ulong.MaxValue);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Without_an_interrupt_nothing_changes()
    {
        using var vmcore = new TempVmcore(Kernel().ToElf());
        string output = vmcore.Path + ".kdump";
        try
        {
            using var interrupt = new DumpInterrupt();
            var (rc, _, err) = Run(interrupt, ["-l", "-d", "31", vmcore.Path, output]);
            Assert.True(rc == 0, err);
            using var file = VmcoreFile.Open(output);
            Assert.Equal(KdumpFlags.Lzo, new KdumpFile(file, Limits.Default).Status);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
