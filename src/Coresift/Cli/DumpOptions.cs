namespace Coresift.App.Cli;

/// <summary>
/// Everything a makedumpfile-compatible command line says, with makedumpfile's meaning.
/// Built by <see cref="CommandLineParser.Parse"/>; immutable.
/// </summary>
public sealed record DumpOptions
{
    /// <summary>makedumpfile's default message level: progress, common and error messages.</summary>
    public const int DefaultMessageLevel = 7;

    /// <summary>The default -b order: a write cache of 256 pages (1 MiB). makedumpfile's is 4 (64 KiB); with 1 MiB the
    /// output takes a sixteenth of the write calls (kernel time of an 8 GiB -l -d 0 dump: 0.22 -> 0.16 s).</summary>
    public const int DefaultBlockOrder = 8;

    /// <summary>Per-page compression: the last of -c/-l/-p/-z given, or None.</summary>
    public CompressionKind Compression { get; init; }

    /// <summary>-d: dump levels (0-31) tried in order when the output runs out of space; [0] when not given.</summary>
    public IReadOnlyList<int> DumpLevels { get; init; } = [0];

    /// <summary>The dump level used first (the first of <see cref="DumpLevels"/>).</summary>
    public int DumpLevel => DumpLevels[0];

    /// <summary>-E: write an ELF file instead of a kdump-compressed one.</summary>
    public bool ElfOutput { get; init; }

    /// <summary>-F: write the flattened format to stdout.</summary>
    public bool Flatten { get; init; }

    /// <summary>-R: read a flattened stream from stdin and write a normal dump file.</summary>
    public bool Rearrange { get; init; }

    /// <summary>-f: overwrite an existing output file.</summary>
    public bool Force { get; init; }

    /// <summary>-x: vmlinux with DWARF of the first kernel (not supported yet).</summary>
    public string? Vmlinux { get; init; }

    /// <summary>-i: vmcoreinfo text file to use (not supported yet).</summary>
    public string? VmcoreinfoFile { get; init; }

    /// <summary>-g: vmcoreinfo text file to generate (not supported yet).</summary>
    public string? GenerateVmcoreinfo { get; init; }

    /// <summary>--config: filter configuration file (not supported yet).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>--eppic: eppic macro file or directory (not supported yet).</summary>
    public string? Eppic { get; init; }

    /// <summary>-b: write cache size is page size shifted left by this order.</summary>
    public int BlockOrder { get; init; } = DefaultBlockOrder;

    /// <summary>--cyclic-buffer: KiB per cycle bitmap buffer; null when not given or 0 (automatic size).</summary>
    public long? CyclicBufferKiB { get; init; }

    /// <summary>--splitblock-size: KiB granularity for balancing --split outputs; null when not given or 0 (default).</summary>
    public long? SplitBlockSizeKiB { get; init; }

    /// <summary>--work-dir: directory for the bitmap file (not supported yet).</summary>
    public string? WorkDir { get; init; }

    /// <summary>--non-mmap: read the input with read(2) only.</summary>
    public bool NonMmap { get; init; }

    /// <summary>--split: write several dump files in parallel.</summary>
    public bool Split { get; init; }

    /// <summary>--reassemble: merge split dump files into one.</summary>
    public bool Reassemble { get; init; }

    /// <summary>--num-threads: worker threads; null when not given, 0 means no worker threads.</summary>
    public int? NumThreads { get; init; }

    /// <summary>Message level bitmask 0-31 (1 progress, 2 common, 4 error, 8 debug, 16 report); -D and --show-stats OR in 8 and 16.</summary>
    public int MessageLevel { get; init; } = DefaultMessageLevel;

    /// <summary>-D: debug messages were asked for.</summary>
    public bool Debug { get; init; }

    /// <summary>--show-stats: report messages were asked for.</summary>
    public bool ShowStats { get; init; }

    /// <summary>--vtop: virtual address to translate (not supported yet).</summary>
    public ulong? VtopAddress { get; init; }

    /// <summary>--dump-dmesg: extract the kernel log.</summary>
    public bool DumpDmesg { get; init; }

    /// <summary>--partial-dmesg: only the log written after the last clear.</summary>
    public bool PartialDmesg { get; init; }

    /// <summary>--mem-usage: print the memory usage of the running kernel (not supported yet).</summary>
    public bool MemUsage { get; init; }

    /// <summary>--diskset: sadump diskset members in order (not supported yet).</summary>
    public IReadOnlyList<string> Diskset { get; init; } = [];

    /// <summary>-X: exclude Xen domU pages (not supported yet).</summary>
    public bool ExcludeXenDom { get; init; }

    /// <summary>--xen-syms: Xen hypervisor debug information (not supported yet).</summary>
    public string? XenSyms { get; init; }

    /// <summary>--xen-vmcoreinfo: Xen vmcoreinfo file (not supported yet).</summary>
    public string? XenVmcoreinfo { get; init; }

    /// <summary>--xen_phys_start: relocated Xen start address (not supported yet).</summary>
    public ulong? XenPhysStart { get; init; }

    /// <summary>-e: exclude unused vmemmap pages (not supported yet).</summary>
    public bool ExcludeVmemmap { get; init; }

    /// <summary>--check-params: only validate the command line.</summary>
    public bool CheckParams { get; init; }

    /// <summary>--dry-run: do all the work but write nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>-L: output size limit in bytes, or null for none.</summary>
    public ulong? SizeLimit { get; init; }

    /// <summary>-h/--help was given.</summary>
    public bool ShowHelp { get; init; }

    /// <summary>-v was given.</summary>
    public bool ShowVersion { get; init; }

    /// <summary>The non-option arguments in order (files; see <see cref="InputPaths"/> and <see cref="OutputPaths"/>).</summary>
    public IReadOnlyList<string> Positionals { get; init; } = [];

    /// <summary>Options given that coresift does not implement yet (as "-x" or "--config"); never non-empty in a parsed run.</summary>
    public IReadOnlyList<string> UnsupportedOptions { get; init; } = [];

    /// <summary>What to do, decided from the options in makedumpfile's order of precedence.</summary>
    public RunMode Mode => ShowHelp ? RunMode.Help
        : ShowVersion ? RunMode.Version
        : GenerateVmcoreinfo is not null ? RunMode.GenerateVmcoreinfo
        : Rearrange ? RunMode.Rearrange
        : Reassemble ? RunMode.Reassemble
        : MemUsage ? RunMode.MemUsage
        : DumpDmesg ? RunMode.Dmesg
        : Split ? RunMode.Split
        : Flatten ? RunMode.Flatten
        : RunMode.Dump;

    /// <summary>True when the dump (or the dmesg log with -F) goes to stdout.</summary>
    public bool WritesToStdout => Mode is RunMode.Flatten || (Mode is RunMode.Dmesg && Flatten);

    /// <summary>Files read: VMCORE for dump/split/dmesg/mem-usage, the split files for --reassemble, none for -R (stdin).</summary>
    public IReadOnlyList<string> InputPaths => Mode switch
    {
        RunMode.Dump or RunMode.Flatten or RunMode.Split or RunMode.Dmesg or RunMode.MemUsage
            when Positionals.Count > 0 => [Positionals[0]],
        RunMode.Reassemble when Positionals.Count > 0 => Positionals.Take(Positionals.Count - 1).ToArray(),
        _ => [],
    };

    /// <summary>Files written: DUMPFILE, the split files, the dmesg LOGFILE; empty when writing to stdout.</summary>
    public IReadOnlyList<string> OutputPaths => Mode switch
    {
        RunMode.Dump or RunMode.Split or RunMode.Dmesg or RunMode.MemUsage => Positionals.Skip(1).ToArray(),
        RunMode.Rearrange or RunMode.Reassemble when Positionals.Count > 0 => [Positionals[^1]],
        RunMode.GenerateVmcoreinfo => [GenerateVmcoreinfo!],
        _ => [],
    };
}
