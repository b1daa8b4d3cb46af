namespace Coresift.App.Cli;

/// <summary>
/// makedumpfile's checks of option combinations and positional counts, per mode and in makedumpfile's order
/// (the order decides which message is printed when several rules are broken), plus coresift's own rules.
/// </summary>
internal static class ModeValidator
{
    /// <summary>Returns null when valid, else the message lines to print (the last two are the generic ones).</summary>
    public static IReadOnlyList<string>? Validate(DumpOptions o) => o.Mode switch
    {
        RunMode.Help or RunMode.Version => null,
        RunMode.GenerateVmcoreinfo => ValidateGenerate(o),
        RunMode.Rearrange => ValidateRearrange(o),
        RunMode.Reassemble => ValidateReassemble(o),
        _ => ValidateCreate(o),
    };

    /// <summary>-g: no dump options, needs -x or --xen-syms, no positionals; then --dry-run.</summary>
    private static IReadOnlyList<string>? ValidateGenerate(DumpOptions o)
    {
        if (o.Compression != CompressionKind.None || o.DumpLevel != 0 || o.ElfOutput || o.VmcoreinfoFile is not null
            || o.Flatten || o.Rearrange || o.ExcludeXenDom || (o.Vmlinux is null && o.XenSyms is null)
            || o.Positionals.Count != 0)
        {
            return Messages.Invalid;
        }

        return o.DryRun ? WithInvalid(Messages.DryRunWithGenerate) : null;
    }

    /// <summary>-R: no dump options and exactly one positional (the dump file written from stdin).</summary>
    private static IReadOnlyList<string>? ValidateRearrange(DumpOptions o)
        => o.Compression != CompressionKind.None || o.DumpLevel != 0 || o.ElfOutput || o.Flatten
            || o.Vmlinux is not null || o.VmcoreinfoFile is not null || o.ExcludeXenDom || o.Reassemble
            || o.Positionals.Count != 1
            ? Messages.Invalid
            : null;

    /// <summary>--reassemble: no dump options, no --split; then --dry-run; coresift needs two inputs and an output.</summary>
    private static IReadOnlyList<string>? ValidateReassemble(DumpOptions o)
    {
        if (o.Compression != CompressionKind.None || o.DumpLevel != 0 || o.ElfOutput || o.VmcoreinfoFile is not null
            || o.Vmlinux is not null || o.Flatten || o.ExcludeXenDom || o.Split)
        {
            return Messages.Invalid;
        }

        if (o.DryRun)
        {
            return WithInvalid(Messages.DryRunWithReassemble);
        }

        // makedumpfile 1.7 accepts one or two positionals here; reassembling needs at least two split files.
        return o.Positionals.Count < 3 ? Messages.Invalid : null;
    }

    /// <summary>Dump, -F, --split, --dump-dmesg, --mem-usage: makedumpfile's creating-dumpfile checks.</summary>
    private static IReadOnlyList<string>? ValidateCreate(DumpOptions o)
    {
        if ((o.ElfOutput && o.Compression != CompressionKind.None)
            || (o.VmcoreinfoFile is not null && (o.Vmlinux is not null || o.XenSyms is not null)))
        {
            return Messages.Invalid;
        }

        if (o.DryRun && o.DumpDmesg)
        {
            return WithInvalid(Messages.DryRunWithDmesg);
        }

        // makedumpfile refuses --num-threads with --split and with -E here; coresift accepts both.
        if ((o.ConfigFile is not null && o.Vmlinux is null) || (o.PartialDmesg && !o.DumpDmesg) || (o.Flatten && o.Split))
        {
            return Messages.Invalid;
        }

        if (o.ExcludeVmemmap && o.WorkDir is null)
        {
            return WithInvalid(Messages.VmemmapNeedsWorkDir);
        }

        if (!HasCreatePositionals(o))
        {
            return Messages.Invalid;
        }

        if (o.ElfOutput && o.Split)
        {
            return WithInvalid(Messages.SplitWithElf);
        }

        // coresift: the kernel log is one file; makedumpfile lets --split through and then misbehaves.
        return o.DumpDmesg && o.Split ? Messages.Invalid : null;
    }

    /// <summary>Positional counts: sadump diskset gives outputs only; -F one input; --split input and two or more outputs.</summary>
    private static bool HasCreatePositionals(DumpOptions o)
    {
        var count = o.Positionals.Count;
        if (o.Diskset.Count > 0)
        {
            return o.Split ? count >= 2 : count == 1;
        }

        if (o.MemUsage && count == 1)
        {
            return true;
        }

        if (o.Flatten)
        {
            return count == 1;
        }

        return o.Split ? count >= 3 : count == 2;
    }

    /// <summary>A specific message followed by the generic two lines.</summary>
    private static string[] WithInvalid(string message) => [message, .. Messages.Invalid];
}
