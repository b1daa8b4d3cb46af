using System.Text;
using Coresift.Common;
using static Coresift.Input.ElfLayout;

namespace Coresift.Input;

/// <summary>An ELF core file (/proc/vmcore, QEMU and saved ELF dumps): header, program headers and notes.</summary>
/// <remarks>Honours e_phoff, e_phentsize and e_phnum (PN_XNUM too), so QEMU 7.2+ files with program headers at 192 read as well.</remarks>
public sealed class ElfCore
{
    /// <summary>True for ELFCLASS64.</summary>
    public bool Is64Bit { get; }

    /// <summary>The file's byte order.</summary>
    public ElfEndian Endian { get; }

    /// <summary>e_machine (62 = x86_64).</summary>
    public ushort Machine { get; }

    /// <summary>e_flags of the input.</summary>
    public uint Flags { get; }

    /// <summary>All program headers in file order.</summary>
    public IReadOnlyList<ProgramHeader> ProgramHeaders { get; }

    /// <summary>The PT_LOAD headers in file order.</summary>
    public IReadOnlyList<ProgramHeader> Loads { get; }

    /// <summary>All notes of all PT_NOTE segments, in file order.</summary>
    public IReadOnlyList<ElfNote> Notes { get; }

    /// <summary>The PT_NOTE segments in file order (for verbatim copies into output files).</summary>
    public IReadOnlyList<ProgramHeader> NoteSegments { get; }

    private ElfCore(bool is64, ElfEndian endian, ushort machine, uint flags, List<ProgramHeader> phdrs, List<ElfNote> notes)
    {
        Is64Bit = is64;
        Endian = endian;
        Machine = machine;
        Flags = flags;
        ProgramHeaders = phdrs;
        Loads = phdrs.Where(p => p.IsLoad).ToArray();
        NoteSegments = phdrs.Where(p => p.IsNote).ToArray();
        Notes = notes;
    }

    /// <summary>True when the first bytes are the ELF magic.</summary>
    public static bool HasElfMagic(ReadOnlySpan<byte> head) => head.Length >= 4 && head[..4].SequenceEqual(Magic);

    /// <summary>Parses the ELF core header, program headers and notes, checking every count and offset.</summary>
    public static ElfCore Read(VmcoreFile file, Limits limits)
    {
        Span<byte> ehdr = stackalloc byte[Elf64.EhdrSize];
        ThrowHelper.Check(file.Length >= IdentSize, $"{file.Path} is too short to be an ELF core ({file.Length} bytes)");
        file.ReadExactly(0, ehdr[..IdentSize]);
        ThrowHelper.Check(HasElfMagic(ehdr), $"{file.Path} is not an ELF file nor a kdump-compressed file");
        byte cls = ehdr[EiClass];
        byte data = ehdr[EiData];
        ThrowHelper.Check(cls is Class32 or Class64, $"{file.Path} has an unknown ELF class ({cls})");
        ThrowHelper.Check(data is DataLsb or DataMsb, $"{file.Path} has an unknown ELF byte order ({data})");
        bool is64 = cls == Class64;
        var e = new ElfEndian(data == DataMsb);
        int ehdrSize = is64 ? Elf64.EhdrSize : Elf32.EhdrSize;
        ThrowHelper.Check(file.Length >= ehdrSize, $"{file.Path} is truncated inside the ELF header");
        file.ReadExactly(0, ehdr[..ehdrSize]);

        ushort type = e.U16(ehdr[(is64 ? Elf64.EType : Elf32.EType)..]);
        ThrowHelper.Check(type == EtCore, $"{file.Path} is an ELF file but not a core dump (e_type {type})");
        ushort machine = e.U16(ehdr[(is64 ? Elf64.EMachine : Elf32.EMachine)..]);
        uint flags = e.U32(ehdr[(is64 ? Elf64.EFlags : Elf32.EFlags)..]);
        ulong phoff = is64 ? e.U64(ehdr[Elf64.EPhoff..]) : e.U32(ehdr[Elf32.EPhoff..]);
        ulong shoff = is64 ? e.U64(ehdr[Elf64.EShoff..]) : e.U32(ehdr[Elf32.EShoff..]);
        int phentsize = e.U16(ehdr[(is64 ? Elf64.EPhentsize : Elf32.EPhentsize)..]);
        uint phnum = e.U16(ehdr[(is64 ? Elf64.EPhnum : Elf32.EPhnum)..]);
        int minPhent = is64 ? Elf64.PhdrSize : Elf32.PhdrSize;
        ThrowHelper.Check(phentsize >= minPhent, $"{file.Path} has program headers of {phentsize} bytes, at least {minPhent} are needed");

        if (phnum == PnXnum)
            phnum = ReadExtendedPhnum(file, e, is64, shoff);
        ThrowHelper.Check(phnum > 0, $"{file.Path} has no program headers");
        ThrowHelper.CheckLimit(phnum, (ulong)limits.MaxProgramHeaders, "the number of program headers");
        ulong tableBytes = phnum * (ulong)phentsize;
        ThrowHelper.Check(phoff <= (ulong)file.Length && tableBytes <= (ulong)file.Length - phoff,
            $"{file.Path} is truncated: its program headers (0x{phoff:x} + {tableBytes}) lie beyond its end");

        var table = new byte[tableBytes];
        file.ReadExactly((long)phoff, table);
        var phdrs = new List<ProgramHeader>((int)phnum);
        for (int i = 0; i < (int)phnum; i++)
        {
            ReadOnlySpan<byte> p = table.AsSpan(i * phentsize, minPhent);
            ProgramHeader ph = is64
                ? new(e.U32(p[Elf64.PType..]), e.U32(p[Elf64.PFlags..]), e.U64(p[Elf64.POffset..]), e.U64(p[Elf64.PVaddr..]),
                      e.U64(p[Elf64.PPaddr..]), e.U64(p[Elf64.PFilesz..]), e.U64(p[Elf64.PMemsz..]), e.U64(p[Elf64.PAlign..]))
                : new(e.U32(p[Elf32.PType..]), e.U32(p[Elf32.PFlags..]), e.U32(p[Elf32.POffset..]), e.U32(p[Elf32.PVaddr..]),
                      e.U32(p[Elf32.PPaddr..]), e.U32(p[Elf32.PFilesz..]), e.U32(p[Elf32.PMemsz..]), e.U32(p[Elf32.PAlign..]));
            if (ph.IsLoad || ph.IsNote)
            {
                ThrowHelper.Check(ph.Offset <= (ulong)file.Length && ph.FileSize <= (ulong)file.Length - ph.Offset,
                    $"{file.Path} is truncated: segment {i} (offset 0x{ph.Offset:x}, size 0x{ph.FileSize:x}) ends beyond the file's end (0x{file.Length:x})");
            }
            if (ph.IsLoad)
            {
                ThrowHelper.Check(ph.FileSize <= ph.MemorySize, $"{file.Path}: PT_LOAD {i} has p_filesz 0x{ph.FileSize:x} > p_memsz 0x{ph.MemorySize:x}");
                ThrowHelper.AddChecked(ph.PhysicalAddress, ph.MemorySize, $"PT_LOAD {i} physical range");
            }
            phdrs.Add(ph);
        }
        ThrowHelper.Check(phdrs.Any(p => p.IsLoad), $"{file.Path} has no PT_LOAD segment");
        var notes = ReadNotes(file, e, phdrs, limits);
        return new ElfCore(is64, e, machine, flags, phdrs, notes);
    }

    /// <summary>Reads the real program-header count from section header 0 (PN_XNUM files).</summary>
    private static uint ReadExtendedPhnum(VmcoreFile file, ElfEndian e, bool is64, ulong shoff)
    {
        int shsize = is64 ? Elf64.ShdrSize : Elf32.ShdrSize;
        ThrowHelper.Check(shoff != 0 && shoff <= (ulong)file.Length && (ulong)shsize <= (ulong)file.Length - shoff,
            $"{file.Path} uses PN_XNUM but has no valid section header 0");
        Span<byte> sh = stackalloc byte[Elf64.ShdrSize];
        file.ReadExactly((long)shoff, sh[..shsize]);
        return e.U32(sh[(is64 ? Elf64.ShInfo : Elf32.ShInfo)..]);
    }

    /// <summary>Walks every PT_NOTE segment and lists its notes; malformed tails end the walk of that segment.</summary>
    private static List<ElfNote> ReadNotes(VmcoreFile file, ElfEndian e, List<ProgramHeader> phdrs, Limits limits)
    {
        var notes = new List<ElfNote>();
        ulong total = 0;
        foreach (var ph in phdrs)
        {
            if (!ph.IsNote || ph.FileSize == 0)
                continue;
            total += ph.FileSize;
            ThrowHelper.CheckLimit(total, (ulong)limits.MaxNoteBytes, "the size of the ELF notes");
            var buf = new byte[ph.FileSize];
            file.ReadExactly((long)ph.Offset, buf);
            int pos = 0;
            while (pos + Note.HeaderSize <= buf.Length)
            {
                uint namesz = e.U32(buf.AsSpan(pos + Note.NameSz));
                uint descsz = e.U32(buf.AsSpan(pos + Note.DescSz));
                uint type = e.U32(buf.AsSpan(pos + Note.Type));
                ulong nameEnd = (ulong)pos + Note.HeaderSize + Align4(namesz);
                ulong descEnd = nameEnd + Align4(descsz);
                if (namesz == 0 && descsz == 0)
                    break; // zero padding at the end of the segment
                if (descEnd > (ulong)buf.Length)
                    break; // a truncated or garbage note ends this segment
                int nameLen = (int)namesz;
                ReadOnlySpan<byte> rawName = buf.AsSpan(pos + Note.HeaderSize, nameLen);
                int nul = rawName.IndexOf((byte)0);
                string name = Encoding.ASCII.GetString(nul >= 0 ? rawName[..nul] : rawName);
                notes.Add(new ElfNote(name, type, (long)ph.Offset + (long)nameEnd, (int)descsz));
                ThrowHelper.CheckLimit((ulong)notes.Count, (ulong)limits.MaxNotes, "the number of ELF notes");
                pos = (int)descEnd;
            }
        }
        return notes;
    }

    /// <summary>Rounds a note field size up to 4 bytes.</summary>
    private static ulong Align4(uint v) => ((ulong)v + 3) & ~3UL;

    /// <summary>The number of NT_PRSTATUS notes named CORE (one per CPU).</summary>
    public int CountCpus() => Notes.Count(n => n.Name == "CORE" && n.Type == Note.NtPrstatus);

    /// <summary>Finds the first note with the given name, or null.</summary>
    public ElfNote? FindNote(string name)
    {
        foreach (var n in Notes)
            if (n.Name == name)
                return n;
        return null;
    }
}
