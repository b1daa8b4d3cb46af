using System.Buffers.Binary;
using Coresift.Common;
using Coresift.Input;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Input;

public class FlattenedFileViewTests
{
    /// <summary>A flattened stream with the given (offset, bytes) records in order.</summary>
    private static byte[] Stream(params (long Offset, byte[] Data)[] records)
    {
        var ms = new MemoryStream();
        var header = new byte[4096];
        "makedumpfile"u8.CopyTo(header);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(16), 1);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(24), 1);
        ms.Write(header);
        var rec = new byte[16];
        foreach (var (offset, data) in records)
        {
            BinaryPrimitives.WriteInt64BigEndian(rec, offset);
            BinaryPrimitives.WriteInt64BigEndian(rec.AsSpan(8), data.Length);
            ms.Write(rec);
            ms.Write(data);
        }
        rec.AsSpan().Fill(0xff);
        ms.Write(rec);
        return ms.ToArray();
    }

    [Fact]
    public void Later_records_win_and_unwritten_bytes_are_zero()
    {
        var bytes = Stream((0, Enumerable.Repeat((byte)1, 100).ToArray()), (200, Enumerable.Repeat((byte)2, 50).ToArray()),
                           (50, Enumerable.Repeat((byte)3, 20).ToArray()), (90, Enumerable.Repeat((byte)4, 120).ToArray()));
        using var f = new TempVmcore(bytes);
        using var file = VmcoreFile.Open(f.Path);
        var view = new FlattenedFileView(file);
        Assert.Equal(250, view.Length);
        var all = new byte[250];
        view.ReadExactly(0, all);
        var expected = new byte[250];
        expected.AsSpan(0, 100).Fill(1);
        expected.AsSpan(200, 50).Fill(2);
        expected.AsSpan(50, 20).Fill(3);
        expected.AsSpan(90, 120).Fill(4);
        Assert.Equal(expected, all);
        var part = new byte[30];
        view.ReadExactly(85, part);
        Assert.Equal(expected.AsSpan(85, 30).ToArray(), part);
    }

    [Fact]
    public void A_stream_without_its_end_marker_or_with_a_lying_record_is_refused()
    {
        var bytes = Stream((0, new byte[10]));
        using (var f = new TempVmcore(bytes[..^16]))
        using (var file = VmcoreFile.Open(f.Path))
            Assert.Throws<BadInputException>(() => new FlattenedFileView(file));
        var lying = Stream((0, new byte[10]));
        BinaryPrimitives.WriteInt64BigEndian(lying.AsSpan(4096 + 8), 1L << 40);
        using (var f = new TempVmcore(lying))
        using (var file = VmcoreFile.Open(f.Path))
            Assert.Throws<BadInputException>(() => new FlattenedFileView(file));
    }

    [Fact]
    public void A_flattened_kdump_file_is_refiltered_in_place()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 0x2100000)]);
        for (ulong p = 0x100; p < 0x1000; p++) k.FillPage(p, (byte)p);
        k.SetBuddy(0x800, 5);
        using var vmcore = new TempVmcore(k.ToElf());
        var flat = new MemoryStream();
        var err = new StringWriter();
        Assert.Equal(0, global::Coresift.App.Commands.CommandRunner.Run(["-F", "-c", "-d", "1", vmcore.Path], new StringWriter(), err, binaryOut: flat));
        using var flatFile = new TempVmcore(flat.ToArray());
        string fromFlat = vmcore.Path + ".a", direct = vmcore.Path + ".b";
        try
        {
            Assert.Equal(0, Integration.TestEnvironment.RunCoresift("-d", "31", flatFile.Path, fromFlat).Rc);
            Assert.Equal(0, Integration.TestEnvironment.RunCoresift("-d", "31", vmcore.Path, direct).Rc);
            Assert.Equal(File.ReadAllBytes(direct), File.ReadAllBytes(fromFlat));
        }
        finally
        {
            File.Delete(fromFlat);
            File.Delete(direct);
        }
    }
}
