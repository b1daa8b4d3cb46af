using Coresift.Common;

namespace Coresift.Input;

/// <summary>An opened input dump, ELF core or kdump-compressed: physical memory plus the notes the kernel left.</summary>
public sealed class DumpInput : IDisposable
{
    /// <summary>The underlying file.</summary>
    public VmcoreFile File { get; }

    /// <summary>The ELF core view, for ELF inputs.</summary>
    public ElfCore? Elf { get; }

    /// <summary>The kdump-compressed view, for refiltering.</summary>
    public KdumpFile? Kdump { get; }

    /// <summary>Physical memory of the crashed machine.</summary>
    public IPhysicalMemory Memory { get; }

    /// <summary>The VMCOREINFO note's descriptor bytes, or null when the dump has none.</summary>
    public byte[]? VmcoreInfoBytes { get; }

    /// <summary>Number of CPUs (NT_PRSTATUS notes named CORE, or nr_cpus of a kdump header).</summary>
    public int CpuCount { get; }

    /// <summary>The crashed machine's ELF machine number (62 for x86_64).</summary>
    public ushort Machine { get; }

    /// <summary>The PT_LOAD headers (empty for kdump-compressed input).</summary>
    public IReadOnlyList<ProgramHeader> Loads { get; }

    /// <summary>A short name of the format, for messages.</summary>
    public string FormatName => Kdump is not null ? "kdump-compressed" : $"ELF{(Elf!.Is64Bit ? 64 : 32)}";

    private DumpInput(VmcoreFile file, ElfCore elf, byte[]? vmcoreinfo)
    {
        File = file;
        Elf = elf;
        Memory = new ElfPhysicalMemory(file, elf);
        VmcoreInfoBytes = vmcoreinfo;
        CpuCount = elf.CountCpus();
        Machine = elf.Machine;
        Loads = elf.Loads;
    }

    private DumpInput(VmcoreFile file, KdumpFile kdump)
    {
        File = file;
        Kdump = kdump;
        Memory = kdump;
        VmcoreInfoBytes = kdump.VmcoreinfoOffsetInNotes >= 0
            ? kdump.Notes.AsSpan((int)kdump.VmcoreinfoOffsetInNotes, (int)kdump.VmcoreinfoSize).ToArray()
            : null;
        CpuCount = kdump.NrCpus;
        string machine = Kernel.KernelIdentity.Field(kdump.Utsname, 4);
        // An empty utsname (some writers leave it blank): x86_64 kernels export their top page table by these names.
        bool x86Symbols = VmcoreInfoBytes is { } text && (text.AsSpan().IndexOf("SYMBOL(init_top_pgt)="u8) >= 0 || text.AsSpan().IndexOf("SYMBOL(init_level4_pgt)="u8) >= 0);
        Machine = machine == "x86_64" || (machine.Length == 0 && x86Symbols) ? ElfLayout.EmX86_64 : (ushort)0;
        Loads = [];
    }

    /// <summary>Opens a dump for reading, detecting its format from the first bytes.</summary>
    public static DumpInput Open(string path, Limits limits, bool noMmap = false) => Open(path, limits, noMmap, FaultsForTests.Value);

    /// <summary>Tests: input file ranges that fail with EIO for dumps opened in this async flow (a file-backed fake bad disk).</summary>
    internal static readonly AsyncLocal<Func<long, long, bool>?> FaultsForTests = new();

    /// <summary>Opens a dump; failing (tests) makes reads of the file ranges it names fail with EIO.</summary>
    internal static DumpInput Open(string path, Limits limits, bool noMmap, Func<long, long, bool>? failing)
    {
        var file = VmcoreFile.Open(path, noMmap, failing);
        try
        {
            Span<byte> head = stackalloc byte[16];
            int n = (int)Math.Min(head.Length, file.Length);
            file.ReadExactly(0, head[..n]);
            if (KdumpFile.HasSignature(head[..n]))
                return new DumpInput(file, new KdumpFile(file, limits));
            if (FlattenedFileView.HasSignature(head[..n]))
            {
                // A flattened kdump file (makedumpfile -F saved to disk, QEMU's kdump-zlib/lzo/snappy): read it in place.
                var view = new FlattenedFileView(file);
                var inner = new byte[8];
                view.ReadExactly(0, inner);
                ThrowHelper.Check(KdumpFile.HasSignature(inner), $"{path} is a flattened file that holds no kdump-compressed dump (an ELF one? rearrange it with -R)");
                return new DumpInput(file, new KdumpFile(view, limits));
            }
            ThrowHelper.Check(ElfCore.HasElfMagic(head[..n]), $"{path} is not an ELF core nor a kdump-compressed file");
            var elf = ElfCore.Read(file, limits);
            byte[]? info = null;
            if (elf.FindNote("VMCOREINFO") is ElfNote note)
            {
                ThrowHelper.CheckLimit((ulong)note.DescSize, (ulong)limits.MaxVmcoreinfoBytes, "the size of the VMCOREINFO note");
                info = new byte[note.DescSize];
                file.ReadExactly(note.DescOffset, info);
            }
            return new DumpInput(file, elf, info);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The ELF note bytes to copy into an output: the PT_NOTE segments, or a kdump input's stored notes.</summary>
    public byte[] ReadNoteSegments()
    {
        if (Kdump is not null)
            return Kdump.VmcoreinfoOffsetInNotes >= 0 || Kdump.Notes.Length > 0 ? Kdump.Notes : [];
        long total = Elf!.NoteSegments.Sum(s => (long)s.FileSize);
        var notes = new byte[total];
        long at = 0;
        foreach (var s in Elf.NoteSegments)
        {
            File.ReadExactly((long)s.Offset, notes.AsSpan((int)at, (int)s.FileSize));
            at += (long)s.FileSize;
        }
        return notes;
    }

    /// <summary>Where the VMCOREINFO text lies inside <see cref="ReadNoteSegments"/>: (offset, size), or (-1, 0).</summary>
    public (long Offset, long Size) VmcoreinfoInNotes()
    {
        if (Kdump is not null)
            return (Kdump.VmcoreinfoOffsetInNotes, Kdump.VmcoreinfoSize);
        if (Elf!.FindNote("VMCOREINFO") is not ElfNote note)
            return (-1, 0);
        long before = 0;
        foreach (var s in Elf.NoteSegments)
        {
            if (note.DescOffset >= (long)s.Offset && note.DescOffset < (long)(s.Offset + s.FileSize))
                return (before + note.DescOffset - (long)s.Offset, note.DescSize);
            before += (long)s.FileSize;
        }
        return (-1, 0);
    }

    /// <summary>The first bytes of the input's ELF header (e_ident ... e_entry), copied into -E output.</summary>
    public byte[] ReadElfIdentity()
    {
        var id = new byte[32];
        File.ReadExactly(0, id);
        return id;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => File.Dispose();
}
