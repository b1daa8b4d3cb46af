namespace Coresift.App.Cli;

/// <summary>The -h/--help usage text (coresift's own wording; the option set is makedumpfile's).</summary>
internal static class HelpText
{
    /// <summary>The full text printed by -h and --help.</summary>
    public const string Text = """
        coresift - save a Linux kernel crash dump (/proc/vmcore) in a smaller file.
        It takes makedumpfile's command line and writes files that crash, makedumpfile and drgn read.

        Usage:
          coresift [-c|-l|-p|-z|-E] [-d DL] [-L SIZE] [-f] [options] VMCORE DUMPFILE
              Write a dump file (kdump-compressed, or ELF with -E) without the pages DL excludes.
          coresift -F [-c|-l|-p|-z|-E] [-d DL] [options] VMCORE
              Write the dump in flattened format to stdout (to pipe it over ssh or to a raw device).
          coresift -R DUMPFILE
              Read a flattened dump from stdin and write it as DUMPFILE.
          coresift --split [-c|-l|-p|-z] [-d DL] [options] VMCORE DUMPFILE1 DUMPFILE2 [DUMPFILE3 ...]
              Write the dump as several files in parallel; each holds a range of pages.
          coresift --reassemble DUMPFILE1 DUMPFILE2 [DUMPFILE3 ...] DUMPFILE
              Join the files made by --split into one DUMPFILE.
          coresift --dump-dmesg [--partial-dmesg] VMCORE LOGFILE
          coresift -F --dump-dmesg [--partial-dmesg] VMCORE
              Write the kernel log held in VMCORE to LOGFILE (to stdout with -F).
          coresift --check-params [options] VMCORE [DUMPFILE ...]
              Only check the command line: exit 0 when it is valid, 1 when it is not.
          coresift -h | --help | -v

        Output format:
          -c, -l, -p, -z
              Compress each page with zlib, LZO, snappy or zstd; the last one given wins.
              Pages that do not get smaller are stored as they are. Not with -E.
          -E  Write an ELF file (like /proc/vmcore) instead of the kdump-compressed format.
              Not with -c/-l/-p/-z or --split.
          -F  Write the flattened format to stdout; messages go to stderr.
          -R  Read a flattened stream from stdin and write DUMPFILE (no other dump options).
          -f  Overwrite DUMPFILE if it exists (without -f an existing file is an error).
          -L SIZE
              Limit each output file to SIZE bytes; K, M, G, T, P or E multiply by 1024 steps.
              Running out of space (or over SIZE) ends the dump as incomplete, or restarts it
              with the next level of a -d list.

        Filtering:
          -d DL[,DL...]
              Dump level: a sum of the kinds of pages to leave out (0-31, default 0):
                 1  pages filled with zeros
                 2  page cache pages without private data
                 4  all page cache pages
                 8  user process data
                16  free pages
              A comma-separated list (up to 32 levels) is tried level after level when the
              output runs out of space. Distributions use -d 31.

        Parallel work:
          --num-threads N
              Read, filter and compress pages with N threads while the main thread writes.
              coresift also allows it with -E and --split.
          --split
              Write one DUMPFILE per output name given; not with -F or -E.
          --splitblock-size KiB
              Size of the blocks used to balance the --split files (default 1 GiB).
          --reassemble
              Join --split files (no dump options allowed).

        Memory and input:
          --cyclic-buffer KiB
              Size of each page bitmap kept in memory per cycle (default: sized from free memory).
          -b ORDER
              Write cache of (page size << ORDER) bytes (default 4; coresift accepts 0-16).
          --non-mmap
              Read VMCORE with read(2) only, never mmap(2).

        Messages:
          --message-level ML
              Which messages to print (0-31, default 7), a sum of:
                 1  progress indicator          8  debug messages
                 2  common messages            16  report messages (statistics)
                 4  error messages
          -D  Also print debug messages (adds 8 to the message level).
          --show-stats
              Also print timing and page statistics (adds 16 to the message level).

        Kernel log:
          --dump-dmesg
              Write the kernel log of VMCORE to LOGFILE instead of a dump.
          --partial-dmesg
              With --dump-dmesg: only the messages written after the last "dmesg --clear".

        Checking:
          --check-params
              Check the command line only; print nothing when it is valid. Best given first.
          --dry-run
              Do all the work but write no file (not with --dump-dmesg or --reassemble).

        Options of makedumpfile that coresift does not support yet (each one makes the run fail):
          -x VMLINUX, -i VMCOREINFO, -g VMCOREINFO, --config FILE, --eppic FILE|DIR,
          -e, --work-dir DIR, --mem-usage, --vtop VIRTUAL_ADDRESS, --diskset=VMCORE,
          -X, --xen-syms XEN-SYMS, --xen-vmcoreinfo VMCOREINFO, --xen_phys_start ADDRESS

        Other:
          -h, --help
              Show this text.
          -v  Show the version.

        Arguments:
          VMCORE    The memory image of the crashed kernel, usually /proc/vmcore.
          DUMPFILE  A file this command writes (or, with --reassemble, the --split files it reads).
          LOGFILE   The file the kernel log is written to.

        Exit status: 0 on success, 1 on failure.
        Long options may be shortened to any unambiguous prefix (--num=4).

        LZO support: enabled
        snappy support: enabled
        zstd support: enabled

        """;
}
