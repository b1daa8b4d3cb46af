using System.Buffers.Binary;
using static Coresift.Output.KdumpFormat;

namespace Coresift.Output;

/// <summary>The values of disk_dump_header and kdump_sub_header for one output file.</summary>
public sealed record KdumpHeader
{
    /// <summary>Raw struct new_utsname (390 bytes).</summary>
    public required byte[] Utsname { get; init; }
    /// <summary>CRASHTIME, or 0.</summary>
    public long CrashTime { get; init; }
    /// <summary>Status flags (compression method, incomplete).</summary>
    public uint Status { get; init; }
    /// <summary>Number of CPUs (NT_PRSTATUS notes).</summary>
    public int NrCpus { get; init; }
    /// <summary>max_mapnr: pfns covered.</summary>
    public ulong MaxMapnr { get; init; }
    /// <summary>phys_base of the crashed kernel.</summary>
    public long PhysBase { get; init; }
    /// <summary>The dump level used.</summary>
    public int DumpLevel { get; init; }
    /// <summary>1 in --split outputs.</summary>
    public bool Split { get; init; }
    /// <summary>First pfn of a split file.</summary>
    public ulong StartPfn { get; init; }
    /// <summary>End pfn (exclusive) of a split file.</summary>
    public ulong EndPfn { get; init; }
    /// <summary>Offset of the VMCOREINFO text within the notes, or -1.</summary>
    public long VmcoreinfoOffsetInNotes { get; init; } = -1;
    /// <summary>Length of the VMCOREINFO text.</summary>
    public long VmcoreinfoSize { get; init; }
    /// <summary>Absolute offset of eraseinfo, or 0.</summary>
    public long EraseinfoOffset { get; init; }
    /// <summary>Length of eraseinfo.</summary>
    public long EraseinfoSize { get; init; }

    /// <summary>Serializes disk_dump_header into the first block (the rest of the block stays zero).</summary>
    public void WriteMainHeader(Span<byte> block, in KdumpLayout layout)
    {
        block[..Header.Size].Clear();
        KdumpFormat.Signature.CopyTo(block[Header.Signature..]);
        BinaryPrimitives.WriteInt32LittleEndian(block[Header.Version..], HeaderVersion);
        Utsname.AsSpan(0, Header.UtsnameLength).CopyTo(block[Header.Utsname..]);
        BinaryPrimitives.WriteInt64LittleEndian(block[Header.TimestampSec..], CrashTime);
        BinaryPrimitives.WriteInt64LittleEndian(block[Header.TimestampUsec..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Header.Status..], Status);
        BinaryPrimitives.WriteInt32LittleEndian(block[Header.BlockSize..], layout.BlockSize);
        BinaryPrimitives.WriteInt32LittleEndian(block[Header.SubHdrSize..], (int)layout.SubHeaderBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Header.BitmapBlocks..], (uint)layout.BitmapBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Header.MaxMapnr..], (uint)Math.Min(MaxMapnr, uint.MaxValue));
        BinaryPrimitives.WriteInt32LittleEndian(block[Header.NrCpus..], NrCpus);
    }

    /// <summary>Serializes kdump_sub_header (104 bytes).</summary>
    public void WriteSubHeader(Span<byte> sub, in KdumpLayout layout)
    {
        sub[..SubHeader.Size].Clear();
        BinaryPrimitives.WriteInt64LittleEndian(sub[SubHeader.PhysBase..], PhysBase);
        BinaryPrimitives.WriteInt32LittleEndian(sub[SubHeader.DumpLevel..], DumpLevel);
        BinaryPrimitives.WriteInt32LittleEndian(sub[SubHeader.Split..], Split ? 1 : 0);
        BinaryPrimitives.WriteUInt64LittleEndian(sub[SubHeader.StartPfn..], StartPfn & uint.MaxValue);
        BinaryPrimitives.WriteUInt64LittleEndian(sub[SubHeader.EndPfn..], EndPfn & uint.MaxValue);
        if (VmcoreinfoOffsetInNotes >= 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(sub[SubHeader.OffsetVmcoreinfo..], layout.NoteOffset + VmcoreinfoOffsetInNotes);
            BinaryPrimitives.WriteInt64LittleEndian(sub[SubHeader.SizeVmcoreinfo..], VmcoreinfoSize);
        }
        if (layout.NoteSize > 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(sub[SubHeader.OffsetNote..], layout.NoteOffset);
            BinaryPrimitives.WriteInt64LittleEndian(sub[SubHeader.SizeNote..], layout.NoteSize);
        }
        BinaryPrimitives.WriteInt64LittleEndian(sub[SubHeader.OffsetEraseinfo..], EraseinfoOffset);
        BinaryPrimitives.WriteInt64LittleEndian(sub[SubHeader.SizeEraseinfo..], EraseinfoSize);
        BinaryPrimitives.WriteUInt64LittleEndian(sub[SubHeader.StartPfn64..], StartPfn);
        BinaryPrimitives.WriteUInt64LittleEndian(sub[SubHeader.EndPfn64..], EndPfn);
        BinaryPrimitives.WriteUInt64LittleEndian(sub[SubHeader.MaxMapnr64..], MaxMapnr);
    }
}
