using System.Buffers.Binary;
using System.Text;

namespace Coresift.Tests.Synthetic;

/// <summary>Layout choices for a synthetic ELF core (to imitate /proc/vmcore, QEMU, and hostile files).</summary>
public sealed class ElfOptions
{
    /// <summary>e_phoff: 64 as the kernel writes it, 192 as QEMU 7.2 does.</summary>
    public int ProgramHeaderOffset { get; init; } = 64;
    /// <summary>Writes ELFCLASS32 (as i386 kernels do) instead of ELFCLASS64.</summary>
    public bool Elf32 { get; init; }
    /// <summary>Overrides e_phnum as written (hostile counts).</summary>
    public int? PhnumOverride { get; init; }
    /// <summary>Leaves the VMCOREINFO note out.</summary>
    public bool OmitVmcoreinfo { get; init; }
    /// <summary>Replaces the VMCOREINFO text.</summary>
    public string? VmcoreinfoOverride { get; init; }
    /// <summary>Replaces the RAM ranges as PT_LOADs.</summary>
    public IReadOnlyList<(ulong Start, ulong End)>? SegmentsOverride { get; init; }
    /// <summary>More PT_LOADs after the RAM ones (overlaps, memsz &gt; filesz, kernel text).</summary>
    public List<(ulong Paddr, ulong FileSize, ulong MemSize, ulong Vaddr)> ExtraLoads { get; } = new();
}

/// <summary>Writes an ELF64 x86_64 core: header, program headers at the chosen offset, notes, then segment data.</summary>
public sealed class ElfCoreWriter(ElfOptions options)
{
    private readonly List<byte[]> _notes = new();
    private readonly List<(ulong Paddr, ulong FileSize, ulong MemSize, ulong Vaddr, Action<ulong, Span<byte>> Read)> _loads = new();

    /// <summary>Adds a note (name, type, descriptor).</summary>
    public void AddNote(string name, uint type, byte[] desc, bool include)
    {
        if (!include)
            return;
        byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        int size = 12 + Align4(nameBytes.Length) + Align4(desc.Length);
        var note = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(note, (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), (uint)desc.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(8), type);
        nameBytes.CopyTo(note, 12);
        desc.CopyTo(note, 12 + Align4(nameBytes.Length));
        _notes.Add(note);
    }

    /// <summary>Adds a PT_LOAD whose bytes come from read(paddr, dst).</summary>
    public void AddLoad(ulong paddr, ulong fileSize, ulong memSize, Action<ulong, Span<byte>> read, ulong vaddr = 0) =>
        _loads.Add((paddr, fileSize, memSize, vaddr, read));

    private static int Align4(int n) => (n + 3) & ~3;

    /// <summary>Lays the file out and returns its bytes.</summary>
    public byte[] Build() => options.Elf32 ? Build32() : Build64();

    /// <summary>An ELFCLASS32 EM_386 core: 52-byte header, 32-byte program headers.</summary>
    private byte[] Build32()
    {
        int phnum = 1 + _loads.Count;
        int phoff = 52;
        long noteOffset = phoff + phnum * 32;
        int noteSize = _notes.Sum(n => n.Length);
        long dataOffset = (noteOffset + noteSize + 4095) & ~4095L;
        var file = new byte[dataOffset + _loads.Sum(l => (long)l.FileSize)];
        var s = file.AsSpan();
        "\u007fELF"u8.CopyTo(s);
        s[4] = 1; s[5] = 1; s[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], 4);
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], 3);   // EM_386
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], (uint)phoff);
        BinaryPrimitives.WriteUInt16LittleEndian(s[40..], 52);
        BinaryPrimitives.WriteUInt16LittleEndian(s[42..], 32);
        BinaryPrimitives.WriteUInt16LittleEndian(s[44..], (ushort)phnum);
        var ph = s[phoff..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], (uint)noteOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[16..], (uint)noteSize);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[20..], (uint)noteSize);
        long pos = noteOffset;
        foreach (var n in _notes)
        {
            n.CopyTo(file, pos);
            pos += n.Length;
        }
        long data = dataOffset;
        for (int i = 0; i < _loads.Count; i++)
        {
            var l = _loads[i];
            var p = s[(phoff + (i + 1) * 32)..];
            BinaryPrimitives.WriteUInt32LittleEndian(p, 1);
            BinaryPrimitives.WriteUInt32LittleEndian(p[4..], (uint)data);
            BinaryPrimitives.WriteUInt32LittleEndian(p[8..], (uint)l.Vaddr);
            BinaryPrimitives.WriteUInt32LittleEndian(p[12..], (uint)l.Paddr);
            BinaryPrimitives.WriteUInt32LittleEndian(p[16..], (uint)l.FileSize);
            BinaryPrimitives.WriteUInt32LittleEndian(p[20..], (uint)l.MemSize);
            BinaryPrimitives.WriteUInt32LittleEndian(p[24..], 7);
            l.Read(l.Paddr, file.AsSpan((int)data, (int)l.FileSize));
            data += (long)l.FileSize;
        }
        return file;
    }

    /// <summary>An ELFCLASS64 EM_X86_64 core.</summary>
    private byte[] Build64()
    {
        int phnum = 1 + _loads.Count;
        int phoff = options.ProgramHeaderOffset;
        long noteOffset = phoff + phnum * 56;
        int noteSize = _notes.Sum(n => n.Length);
        long dataOffset = (noteOffset + noteSize + 4095) & ~4095L;
        long total = dataOffset + _loads.Sum(l => (long)l.FileSize);
        var file = new byte[total];
        var s = file.AsSpan();
        "\u007fELF"u8.CopyTo(s);
        s[4] = 2; s[5] = 1; s[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], 4);   // ET_CORE
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], 62);  // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(s[32..], (ulong)phoff);
        BinaryPrimitives.WriteUInt16LittleEndian(s[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(s[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(s[56..], (ushort)(options.PhnumOverride ?? phnum));
        // PT_NOTE
        var ph = s[phoff..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 4);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], (ulong)noteOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)noteSize);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)noteSize);
        long pos = noteOffset;
        foreach (var n in _notes)
        {
            n.CopyTo(file, pos);
            pos += n.Length;
        }
        long data = dataOffset;
        for (int i = 0; i < _loads.Count; i++)
        {
            var l = _loads[i];
            var p = s[(phoff + (i + 1) * 56)..];
            BinaryPrimitives.WriteUInt32LittleEndian(p, 1);
            BinaryPrimitives.WriteUInt32LittleEndian(p[4..], 7);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], (ulong)data);
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], l.Vaddr);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], l.Paddr);
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], l.FileSize);
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], l.MemSize);
            l.Read(l.Paddr, file.AsSpan((int)data, (int)l.FileSize));
            data += (long)l.FileSize;
        }
        return file;
    }
}
