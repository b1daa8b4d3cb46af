namespace Coresift.App.Cli;

/// <summary>Every option of the makedumpfile 1.7 command line.</summary>
internal enum OptionId
{
    /// <summary>-b ORDER: write cache size as a page-size shift.</summary>
    BlockOrder,

    /// <summary>-c: zlib compression.</summary>
    CompressZlib,

    /// <summary>-D: debug messages.</summary>
    Debug,

    /// <summary>-d DL[,DL...]: dump level(s).</summary>
    DumpLevel,

    /// <summary>-e: exclude unused vmemmap pages.</summary>
    ExcludeVmemmap,

    /// <summary>-E: ELF output.</summary>
    ElfOutput,

    /// <summary>-F: flattened output on stdout.</summary>
    Flatten,

    /// <summary>-f: overwrite an existing output file.</summary>
    Force,

    /// <summary>-g VMCOREINFO: generate a vmcoreinfo file.</summary>
    GenerateVmcoreinfo,

    /// <summary>-h, --help: usage text.</summary>
    Help,

    /// <summary>-i VMCOREINFO: read a vmcoreinfo file.</summary>
    VmcoreinfoFile,

    /// <summary>-l: LZO compression.</summary>
    CompressLzo,

    /// <summary>-L SIZE: output size limit.</summary>
    SizeLimit,

    /// <summary>-p: snappy compression.</summary>
    CompressSnappy,

    /// <summary>-R: rearrange a flattened stream from stdin.</summary>
    Rearrange,

    /// <summary>-v: version.</summary>
    Version,

    /// <summary>-X: exclude Xen domU pages.</summary>
    ExcludeXenDom,

    /// <summary>-x VMLINUX: DWARF of the first kernel.</summary>
    Vmlinux,

    /// <summary>-z: zstd compression.</summary>
    CompressZstd,

    /// <summary>--split: several output files.</summary>
    Split,

    /// <summary>--reassemble: merge split files.</summary>
    Reassemble,

    /// <summary>--xen-syms XEN-SYMS.</summary>
    XenSyms,

    /// <summary>--xen-vmcoreinfo VMCOREINFO.</summary>
    XenVmcoreinfo,

    /// <summary>--xen_phys_start ADDRESS.</summary>
    XenPhysStart,

    /// <summary>--message-level ML.</summary>
    MessageLevel,

    /// <summary>--vtop VIRTUAL_ADDRESS.</summary>
    Vtop,

    /// <summary>--dump-dmesg: extract the kernel log.</summary>
    DumpDmesg,

    /// <summary>--partial-dmesg: only the log after the last clear.</summary>
    PartialDmesg,

    /// <summary>--config FILE: filter configuration.</summary>
    Config,

    /// <summary>--diskset=VMCORE: sadump diskset member.</summary>
    Diskset,

    /// <summary>--cyclic-buffer KiB.</summary>
    CyclicBuffer,

    /// <summary>--eppic FILE|DIR: eppic filter macros.</summary>
    Eppic,

    /// <summary>--non-mmap: read the input with read(2) only.</summary>
    NonMmap,

    /// <summary>--mem-usage: memory usage of the running kernel.</summary>
    MemUsage,

    /// <summary>--splitblock-size KiB.</summary>
    SplitBlockSize,

    /// <summary>--work-dir DIR: directory for the bitmap file.</summary>
    WorkDir,

    /// <summary>--num-threads N.</summary>
    NumThreads,

    /// <summary>--check-params: only validate the command line.</summary>
    CheckParams,

    /// <summary>--dry-run: do everything but write nothing.</summary>
    DryRun,

    /// <summary>--show-stats: report messages.</summary>
    ShowStats,
}
