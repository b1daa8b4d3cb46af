namespace Coresift.Output;

/// <summary>Field offsets of the kdump-compressed ("diskdump") format, LP64 layout (makedumpfile diskdump_mod.h, header_version 6).</summary>
internal static class KdumpFormat
{
    /// <summary>"KDUMP" and three spaces, no NUL.</summary>
    public static ReadOnlySpan<byte> Signature => "KDUMP   "u8;

    public const int HeaderVersion = 6;

    /// <summary>struct disk_dump_header (LP64): 464 bytes at offset 0.</summary>
    public static class Header
    {
        public const int Signature = 0;          // char[8]
        public const int Version = 8;            // int
        public const int Utsname = 12;           // struct new_utsname: 6 x char[65]
        public const int UtsnameLength = 390;
        public const int TimestampSec = 408;     // struct timeval: tv_sec (long)
        public const int TimestampUsec = 416;    // tv_usec (long)
        public const int Status = 424;           // unsigned int
        public const int BlockSize = 428;        // int
        public const int SubHdrSize = 432;       // int, in blocks
        public const int BitmapBlocks = 436;     // unsigned int, both bitmaps
        public const int MaxMapnr = 440;         // unsigned int, clamped (obsolete: see max_mapnr_64)
        public const int TotalRamBlocks = 444;
        public const int DeviceBlocks = 448;
        public const int WrittenBlocks = 452;
        public const int CurrentCpu = 456;
        public const int NrCpus = 460;           // int
        public const int Size = 464;
    }

    /// <summary>struct kdump_sub_header (LP64): 104 bytes at offset block_size.</summary>
    public static class SubHeader
    {
        public const int PhysBase = 0;           // unsigned long
        public const int DumpLevel = 8;          // int (header_version 1)
        public const int Split = 12;             // int (2)
        public const int StartPfn = 16;          // unsigned long (2), truncated
        public const int EndPfn = 24;            // unsigned long (2), truncated
        public const int OffsetVmcoreinfo = 32;  // off_t (3)
        public const int SizeVmcoreinfo = 40;    // unsigned long (3)
        public const int OffsetNote = 48;        // off_t (4)
        public const int SizeNote = 56;          // unsigned long (4)
        public const int OffsetEraseinfo = 64;   // off_t (5)
        public const int SizeEraseinfo = 72;     // unsigned long (5)
        public const int StartPfn64 = 80;        // unsigned long long (6)
        public const int EndPfn64 = 88;          // unsigned long long (6)
        public const int MaxMapnr64 = 96;        // unsigned long long (6)
        public const int Size = 104;
    }

    /// <summary>struct page_desc: 24 bytes per dumpable page, in pfn order.</summary>
    public static class PageDesc
    {
        public const int Offset = 0;             // off_t: file offset of the page data
        public const int DataSize = 8;           // unsigned int: stored bytes
        public const int Flags = 12;             // unsigned int: compression flag, 0 = raw
        public const int PageFlags = 16;         // unsigned long long: always 0
        public const int Size = 24;
    }
}
