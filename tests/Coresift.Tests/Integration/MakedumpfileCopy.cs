using System.Buffers.Binary;

namespace Coresift.Tests.Integration;

/// <summary>Makes a copy of a QEMU 7.2 ELF core that makedumpfile can read: program headers moved to offset 64, section headers dropped.</summary>
/// <remarks>makedumpfile assumes e_phoff == 64; notes and data keep their offsets, so both tools see the same memory.</remarks>
public static class MakedumpfileCopy
{
    private static readonly Dictionary<string, string> s_made = new();

    /// <summary>Returns a makedumpfile-readable path for the vmcore (the vmcore itself when its header is already at 64).</summary>
    public static string For(string vmcore)
    {
        lock (s_made)
        {
            if (s_made.TryGetValue(vmcore, out var made))
                return made;
            var head = new byte[64];
            using (var f = File.OpenRead(vmcore))
                f.ReadExactly(head);
            ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(32));
            if (phoff == 64)
                return s_made[vmcore] = vmcore;
            int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(54));
            int phnum = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(56));
            var table = new byte[phentsize * phnum];
            using (var f = File.OpenRead(vmcore))
            {
                f.Position = (long)phoff;
                f.ReadExactly(table);
            }
            string copy = Path.Combine(Path.GetTempPath(), $"coresift-mdf-{Guid.NewGuid():N}.elf");
            var (rc, _, err) = TestEnvironment.Run("cp", ["--sparse=always", vmcore, copy]);
            if (rc != 0)
                throw new IOException("cp failed: " + err);
            using (var f = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(32), 64);  // e_phoff
                BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(40), 0);   // e_shoff
                BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(52), 64);  // e_ehsize
                BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(60), 0);   // e_shnum
                BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(62), 0);   // e_shstrndx
                f.Write(head);
                f.Write(table);
            }
            AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(copy);
            return s_made[vmcore] = copy;
        }
    }
}
