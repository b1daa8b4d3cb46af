using System.Buffers.Binary;
using Coresift.Common;
using Coresift.Input;

namespace Coresift.Output;

/// <summary>--reassemble: joins --split members into one kdump-compressed file, copying page data as stored (no recompression).</summary>
public static class Reassembler
{
    /// <summary>Checks the members, then writes the joined file; returns the number of pages written.</summary>
    public static ulong Join(IReadOnlyList<KdumpFile> members, IReadOnlyList<VmcoreFile> files, IOutputSink output)
    {
        ThrowHelper.Check(members.Count >= 2, "--reassemble needs at least two split files");
        var order = Enumerable.Range(0, members.Count).OrderBy(i => members[i].StartPfn).ToArray();
        var first = members[order[0]];
        ulong expect = 0;
        foreach (int i in order)
        {
            var m = members[i];
            ThrowHelper.Check(m.IsSplit, $"{files[i].Path} is not a split dumpfile");
            ThrowHelper.Check(m.MaxMapnr == first.MaxMapnr && m.BlockSize == first.BlockSize && m.DescriptorOffset == first.DescriptorOffset,
                $"{files[i].Path} does not belong to the same split dump as {files[order[0]].Path}");
            ThrowHelper.Check(m.StartPfn == expect, $"the split files do not cover pfn 0x{expect:x} (gap before {files[i].Path})");
            expect = m.EndPfn;
        }
        ThrowHelper.Check(expect == first.MaxMapnr, $"the split files end at pfn 0x{expect:x}, not at max_mapnr 0x{first.MaxMapnr:x}");

        int b = first.BlockSize;
        ulong n = first.Dumpable.PopCount();
        var layout = KdumpLayout.Plan(b, first.MaxMapnr, first.Notes.Length, n);
        ThrowHelper.Check(layout.DescriptorOffset == first.DescriptorOffset, "the split files' layout is not one coresift or makedumpfile writes");

        // Main header from a member marked incomplete, else from the last one; sub header from the first, split fields cleared.
        int headerFrom = order.FirstOrDefault(i => (members[i].Status & Codecs.KdumpFlags.Incomplete) != 0, order[^1]);
        var block = new byte[b];
        files[headerFrom].ReadExactly(0, block.AsSpan(0, KdumpFormat.Header.Size));
        output.Write(0, block);
        var sub = new byte[KdumpFormat.SubHeader.Size];
        files[order[0]].ReadExactly(b, sub);
        BinaryPrimitives.WriteInt32LittleEndian(sub.AsSpan(KdumpFormat.SubHeader.Split), 0);
        foreach (int field in new[] { KdumpFormat.SubHeader.StartPfn, KdumpFormat.SubHeader.EndPfn, KdumpFormat.SubHeader.StartPfn64, KdumpFormat.SubHeader.EndPfn64 })
            BinaryPrimitives.WriteUInt64LittleEndian(sub.AsSpan(field), 0);
        output.Write(b, sub);
        output.Write(layout.NoteOffset, first.Notes);
        // Both bitmaps, as stored in the first member.
        var chunk = new byte[Math.Min(layout.BitmapBytes * 2, 1 << 20)];
        for (long done = 0; done < layout.BitmapBytes * 2; done += chunk.Length)
        {
            int len = (int)Math.Min(chunk.Length, layout.BitmapBytes * 2 - done);
            files[order[0]].ReadExactly(layout.Bitmap1Offset + done, chunk.AsSpan(0, len));
            output.Write(layout.Bitmap1Offset + done, chunk.AsSpan(0, len));
        }

        bool zeroShared = (first.DumpLevel & 1) != 0;
        long zeroOffset = layout.DataOffset;
        var data = new RegionWriter(output, layout.DataOffset, 1 << 20);
        var descs = new RegionWriter(output, layout.DescriptorOffset, 64 * 1024 / KdumpFormat.PageDesc.Size * KdumpFormat.PageDesc.Size);
        if (zeroShared)
            data.Append(new byte[b]);
        var page = new byte[b];
        var desc = new byte[KdumpFormat.PageDesc.Size];
        ulong pages = 0;
        foreach (int i in order)
        {
            var m = members[i];
            for (ulong pfn = m.Dumpable.NextSet(m.StartPfn); pfn < m.EndPfn; pfn = m.Dumpable.NextSet(pfn + 1))
            {
                var (offset, size, flags) = m.Descriptor(pfn);
                long newOffset;
                if (offset == 0 || size > (uint)b)
                {
                    newOffset = 0; // lost in an incomplete member: stays lost
                    size = 0;
                    flags = 0;
                }
                else if (zeroShared && offset == zeroOffset && flags == 0)
                {
                    newOffset = zeroOffset;
                }
                else
                {
                    newOffset = data.Position;
                    files[i].ReadExactly(offset, page.AsSpan(0, (int)size));
                    data.Append(page.AsSpan(0, (int)size));
                }
                BinaryPrimitives.WriteInt64LittleEndian(desc, newOffset);
                BinaryPrimitives.WriteUInt32LittleEndian(desc.AsSpan(KdumpFormat.PageDesc.DataSize), size);
                BinaryPrimitives.WriteUInt32LittleEndian(desc.AsSpan(KdumpFormat.PageDesc.Flags), flags);
                BinaryPrimitives.WriteUInt64LittleEndian(desc.AsSpan(KdumpFormat.PageDesc.PageFlags), 0);
                descs.Append(desc);
                pages++;
            }
        }
        data.Flush();
        descs.Flush();
        return pages;
    }
}
