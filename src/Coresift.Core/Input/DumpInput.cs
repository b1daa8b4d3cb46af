using Coresift.Common;

namespace Coresift.Input;

/// <summary>An opened input dump: physical memory plus the notes the kernel left (format-independent view).</summary>
public sealed class DumpInput : IDisposable
{
    /// <summary>The underlying file.</summary>
    public VmcoreFile File { get; }

    /// <summary>The ELF core view (ELF inputs).</summary>
    public ElfCore Elf { get; }

    /// <summary>Physical memory of the crashed machine.</summary>
    public IPhysicalMemory Memory { get; }

    /// <summary>The VMCOREINFO note's descriptor bytes, or null when the dump has none.</summary>
    public byte[]? VmcoreInfoBytes { get; }

    /// <summary>Number of CPUs (NT_PRSTATUS notes named CORE).</summary>
    public int CpuCount { get; }

    private DumpInput(VmcoreFile file, ElfCore elf, byte[]? vmcoreinfo)
    {
        File = file;
        Elf = elf;
        Memory = new ElfPhysicalMemory(file, elf);
        VmcoreInfoBytes = vmcoreinfo;
        CpuCount = elf.CountCpus();
    }

    /// <summary>Opens a dump for reading, detecting its format from the first bytes.</summary>
    public static DumpInput Open(string path, Limits limits, bool noMmap = false)
    {
        var file = VmcoreFile.Open(path, noMmap);
        try
        {
            Span<byte> head = stackalloc byte[16];
            int n = (int)Math.Min(head.Length, file.Length);
            file.ReadExactly(0, head[..n]);
            if (head[..n].StartsWith("KDUMP   "u8) || head[..n].StartsWith("DISKDUMP"u8))
                throw new CoresiftException($"{path} is kdump-compressed: reading kdump-compressed input (refiltering) is not supported yet");
            if (head[..n].StartsWith("makedumpfile\0"u8))
                throw new CoresiftException($"{path} is a flattened dump: rearrange it with -R first");
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

    /// <summary>The bytes of every PT_NOTE segment, concatenated in file order (copied verbatim into kdump files).</summary>
    public byte[] ReadNoteSegments()
    {
        long total = Elf.NoteSegments.Sum(s => (long)s.FileSize);
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
        if (Elf.FindNote("VMCOREINFO") is not ElfNote note)
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

    /// <summary>Closes the file.</summary>
    public void Dispose() => File.Dispose();
}
