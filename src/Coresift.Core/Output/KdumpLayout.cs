namespace Coresift.Output;

/// <summary>Where each part of a kdump-compressed file goes, computed from counts before any page is written.</summary>
public readonly record struct KdumpLayout(int BlockSize, long SubHeaderBlocks, long BitmapBlocks, ulong DumpablePages, long NoteSize)
{
    /// <summary>Plans a file for maxMapnr pfns, notes of noteSize bytes and dumpablePages set bits in the 2nd bitmap.</summary>
    public static KdumpLayout Plan(int blockSize, ulong maxMapnr, long noteSize, ulong dumpablePages)
    {
        long subBlocks = Math.Max(1, (KdumpFormat.SubHeader.Size + noteSize + blockSize - 1) / blockSize);
        long bitmapBytes = (long)((maxMapnr + 7) / 8);
        long perBitmap = (bitmapBytes + blockSize - 1) / blockSize;
        return new KdumpLayout(blockSize, subBlocks, 2 * perBitmap, dumpablePages, noteSize);
    }

    /// <summary>File offset of kdump_sub_header.</summary>
    public long SubHeaderOffset => BlockSize;

    /// <summary>File offset of the copied ELF notes.</summary>
    public long NoteOffset => BlockSize + KdumpFormat.SubHeader.Size;

    /// <summary>File offset of the 1st bitmap.</summary>
    public long Bitmap1Offset => (1 + SubHeaderBlocks) * BlockSize;

    /// <summary>Bytes of one bitmap (block aligned).</summary>
    public long BitmapBytes => BitmapBlocks / 2 * BlockSize;

    /// <summary>File offset of the 2nd bitmap.</summary>
    public long Bitmap2Offset => Bitmap1Offset + BitmapBytes;

    /// <summary>File offset of the page descriptor table.</summary>
    public long DescriptorOffset => (1 + SubHeaderBlocks + BitmapBlocks) * BlockSize;

    /// <summary>File offset of the first page data (the shared zero page when zero pages are excluded).</summary>
    public long DataOffset => DescriptorOffset + (long)DumpablePages * KdumpFormat.PageDesc.Size;
}
