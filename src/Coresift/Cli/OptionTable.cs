namespace Coresift.App.Cli;

/// <summary>The single table of every makedumpfile 1.7 option, its spelling and whether coresift supports it.</summary>
internal static class OptionTable
{
    /// <summary>All options; long options are listed in makedumpfile's order (it shows in getopt's "ambiguous" message).</summary>
    public static readonly IReadOnlyList<OptionSpec> All =
    [
        // Short options (getopt string "b:cDd:eEFfg:hi:lL:pRvXx:z").
        new(OptionId.BlockOrder, 'b', null, TakesArgument: true, Supported: true),
        new(OptionId.CompressZlib, 'c', null, TakesArgument: false, Supported: true),
        new(OptionId.Debug, 'D', null, TakesArgument: false, Supported: true),
        new(OptionId.DumpLevel, 'd', null, TakesArgument: true, Supported: true),
        new(OptionId.ExcludeVmemmap, 'e', null, TakesArgument: false, Supported: false),
        new(OptionId.ElfOutput, 'E', null, TakesArgument: false, Supported: true),
        new(OptionId.Flatten, 'F', null, TakesArgument: false, Supported: true),
        new(OptionId.Force, 'f', null, TakesArgument: false, Supported: true),
        new(OptionId.GenerateVmcoreinfo, 'g', null, TakesArgument: true, Supported: false),
        new(OptionId.Help, 'h', "help", TakesArgument: false, Supported: true),
        new(OptionId.VmcoreinfoFile, 'i', null, TakesArgument: true, Supported: false),
        new(OptionId.CompressLzo, 'l', null, TakesArgument: false, Supported: true),
        new(OptionId.SizeLimit, 'L', null, TakesArgument: true, Supported: true),
        new(OptionId.CompressSnappy, 'p', null, TakesArgument: false, Supported: true),
        new(OptionId.Rearrange, 'R', null, TakesArgument: false, Supported: true),
        new(OptionId.Version, 'v', null, TakesArgument: false, Supported: true),
        new(OptionId.ExcludeXenDom, 'X', null, TakesArgument: false, Supported: false),
        new(OptionId.Vmlinux, 'x', null, TakesArgument: true, Supported: false),
        new(OptionId.CompressZstd, 'z', null, TakesArgument: false, Supported: true),

        // Long-only options.
        new(OptionId.Split, null, "split", TakesArgument: false, Supported: true),
        new(OptionId.Reassemble, null, "reassemble", TakesArgument: false, Supported: true),
        new(OptionId.XenSyms, null, "xen-syms", TakesArgument: true, Supported: false),
        new(OptionId.XenVmcoreinfo, null, "xen-vmcoreinfo", TakesArgument: true, Supported: false),
        new(OptionId.XenPhysStart, null, "xen_phys_start", TakesArgument: true, Supported: false),
        new(OptionId.MessageLevel, null, "message-level", TakesArgument: true, Supported: true),
        new(OptionId.Vtop, null, "vtop", TakesArgument: true, Supported: false),
        new(OptionId.DumpDmesg, null, "dump-dmesg", TakesArgument: false, Supported: true),
        new(OptionId.PartialDmesg, null, "partial-dmesg", TakesArgument: false, Supported: true),
        new(OptionId.Config, null, "config", TakesArgument: true, Supported: false),
        new(OptionId.Diskset, null, "diskset", TakesArgument: true, Supported: false),
        new(OptionId.CyclicBuffer, null, "cyclic-buffer", TakesArgument: true, Supported: true),
        new(OptionId.Eppic, null, "eppic", TakesArgument: true, Supported: false),
        new(OptionId.NonMmap, null, "non-mmap", TakesArgument: false, Supported: true),
        new(OptionId.MemUsage, null, "mem-usage", TakesArgument: false, Supported: false),
        new(OptionId.SplitBlockSize, null, "splitblock-size", TakesArgument: true, Supported: true),
        new(OptionId.WorkDir, null, "work-dir", TakesArgument: true, Supported: false),
        new(OptionId.NumThreads, null, "num-threads", TakesArgument: true, Supported: true),
        new(OptionId.CheckParams, null, "check-params", TakesArgument: false, Supported: true),
        new(OptionId.DryRun, null, "dry-run", TakesArgument: false, Supported: true),
        new(OptionId.ShowStats, null, "show-stats", TakesArgument: false, Supported: true),
    ];

    /// <summary>Long options in declaration order, --help placed where makedumpfile declares it.</summary>
    public static readonly IReadOnlyList<OptionSpec> LongOptions = BuildLongOptions();

    /// <summary>Finds the option with a given short letter, or null when getopt would call it invalid.</summary>
    public static OptionSpec? FindShort(char letter)
    {
        foreach (var spec in All)
        {
            if (spec.ShortName == letter)
            {
                return spec;
            }
        }

        return null;
    }

    /// <summary>Returns the spec of an option id.</summary>
    public static OptionSpec Get(OptionId id)
    {
        foreach (var spec in All)
        {
            if (spec.Id == id)
            {
                return spec;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown option id.");
    }

    /// <summary>Orders the long options as makedumpfile's long-option array: --help sits after --config.</summary>
    private static List<OptionSpec> BuildLongOptions()
    {
        var result = new List<OptionSpec>();
        OptionSpec? help = null;
        foreach (var spec in All)
        {
            if (spec.LongName is null)
            {
                continue;
            }

            if (spec.Id == OptionId.Help)
            {
                help = spec;
                continue;
            }

            result.Add(spec);
            if (spec.Id == OptionId.Config && help is not null)
            {
                result.Add(help);
            }
        }

        return result;
    }
}
