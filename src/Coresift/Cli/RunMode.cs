namespace Coresift.App.Cli;

/// <summary>What a command line asks coresift to do, derived from its options as makedumpfile does.</summary>
public enum RunMode
{
    /// <summary>Create one dump file: VMCORE DUMPFILE.</summary>
    Dump,

    /// <summary>Create a dump in flattened format on stdout (-F): VMCORE.</summary>
    Flatten,

    /// <summary>Turn a flattened stream read from stdin into a dump file (-R): DUMPFILE.</summary>
    Rearrange,

    /// <summary>Create several dump files in parallel (--split): VMCORE DUMPFILE1 DUMPFILE2 [...].</summary>
    Split,

    /// <summary>Merge split dump files into one (--reassemble): DUMPFILE1 DUMPFILE2 [...] DUMPFILE.</summary>
    Reassemble,

    /// <summary>Write a vmcoreinfo text file from debug information (-g).</summary>
    GenerateVmcoreinfo,

    /// <summary>Extract the kernel log (--dump-dmesg): VMCORE LOGFILE, or VMCORE with -F (log on stdout).</summary>
    Dmesg,

    /// <summary>Print the memory usage of the running kernel (--mem-usage).</summary>
    MemUsage,

    /// <summary>Print the usage text (-h, --help).</summary>
    Help,

    /// <summary>Print the version (-v).</summary>
    Version,
}
