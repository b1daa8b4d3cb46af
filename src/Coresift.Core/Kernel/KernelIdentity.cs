namespace Coresift.Kernel;

/// <summary>Facts about the crashed kernel that dump headers carry: its utsname, crash time and phys_base.</summary>
public static class KernelIdentity
{
    /// <summary>Size of struct new_utsname: six fields of 65 bytes.</summary>
    public const int UtsnameSize = 6 * 65;

    /// <summary>The raw struct new_utsname of init_uts_ns, or zeros when it cannot be read.</summary>
    public static byte[] ReadUtsname(KernelModel kernel)
    {
        var uts = new byte[UtsnameSize];
        if (kernel.Info is { } info && kernel.AddressSpace is { } mem && info.Symbol("init_uts_ns") is ulong ns)
        {
            ulong at = ns + (ulong)Math.Max(0, info.Offset("uts_namespace.name") ?? 0);
            if (!mem.TryRead(at, uts))
                Array.Clear(uts);
        }
        return uts;
    }

    /// <summary>The text of one utsname field (0 sysname, 1 nodename, 2 release, 3 version, 4 machine, 5 domainname).</summary>
    public static string Field(ReadOnlySpan<byte> uts, int index)
    {
        var f = uts.Slice(index * 65, 65);
        int nul = f.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(nul >= 0 ? f[..nul] : f);
    }
}
