namespace Coresift.Input;

/// <summary>Field offsets and constants of ELF records (System V gABI), for 32- and 64-bit files.</summary>
internal static class ElfLayout
{
    // e_ident
    public const int IdentSize = 16;
    public const int EiClass = 4;          // ELFCLASS32 = 1, ELFCLASS64 = 2
    public const int EiData = 5;           // ELFDATA2LSB = 1, ELFDATA2MSB = 2
    public const byte Class32 = 1;
    public const byte Class64 = 2;
    public const byte DataLsb = 1;
    public const byte DataMsb = 2;
    public static ReadOnlySpan<byte> Magic => [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    public const ushort EtCore = 4;
    public const ushort PnXnum = 0xffff;   // e_phnum escape: real count in section header 0's sh_info

    public const uint PtLoad = 1;
    public const uint PtNote = 4;

    public const ushort EmX86_64 = 62;
    public const ushort Em386 = 3;

    /// <summary>Ehdr/Phdr/Shdr offsets of a 64-bit ELF file.</summary>
    public static class Elf64
    {
        public const int EhdrSize = 64;
        public const int EType = 16, EMachine = 18, EVersion = 20, EEntry = 24, EPhoff = 32, EShoff = 40, EFlags = 48;
        public const int EEhsize = 52, EPhentsize = 54, EPhnum = 56, EShentsize = 58, EShnum = 60, EShstrndx = 62;
        public const int PhdrSize = 56;
        public const int PType = 0, PFlags = 4, POffset = 8, PVaddr = 16, PPaddr = 24, PFilesz = 32, PMemsz = 40, PAlign = 48;
        public const int ShdrSize = 64;
        public const int ShInfo = 44;
    }

    /// <summary>Ehdr/Phdr/Shdr offsets of a 32-bit ELF file.</summary>
    public static class Elf32
    {
        public const int EhdrSize = 52;
        public const int EType = 16, EMachine = 18, EVersion = 20, EEntry = 24, EPhoff = 28, EShoff = 32, EFlags = 36;
        public const int EEhsize = 40, EPhentsize = 42, EPhnum = 44, EShentsize = 46, EShnum = 48, EShstrndx = 50;
        public const int PhdrSize = 32;
        public const int PType = 0, POffset = 4, PVaddr = 8, PPaddr = 12, PFilesz = 16, PMemsz = 20, PFlags = 24, PAlign = 28;
        public const int ShdrSize = 40;
        public const int ShInfo = 28;
    }

    /// <summary>Note header: namesz, descsz, type (three 32-bit words in both classes).</summary>
    public static class Note
    {
        public const int HeaderSize = 12;
        public const int NameSz = 0, DescSz = 4, Type = 8;
        public const uint NtPrstatus = 1;
    }
}
