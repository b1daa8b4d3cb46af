using System.CommandLine;
using System.CommandLine.Parsing;

namespace Coresift.App.Cli;

/// <summary>
/// The System.CommandLine model of the makedumpfile command line: one typed option per entry of
/// <see cref="OptionTable"/> (named by its display name, "-d" or "--num-threads"), plus the positionals.
/// It binds the canonical tokens produced from <see cref="OptionLoop"/>; it never prints anything.
/// </summary>
internal sealed class CliCommand
{
    /// <summary>Creates the command and its options; help, version and directives of System.CommandLine are removed.</summary>
    public CliCommand()
    {
        Root = new RootCommand();
        Root.Options.Clear();
        Root.Directives.Clear();
        Root.TreatUnmatchedTokensAsErrors = true;
        foreach (var option in new Option[]
        {
            CompressZlib, CompressLzo, CompressSnappy, CompressZstd, DumpLevels, ElfOutput, Flatten, Rearrange, Force,
            Vmlinux, VmcoreinfoFile, GenerateVmcoreinfo, ConfigFile, Eppic, BlockOrder, CyclicBuffer, SplitBlockSize,
            WorkDir, NonMmap, Split, Reassemble, NumThreads, MessageLevel, Debug, ShowStats, Vtop, DumpDmesg,
            PartialDmesg, MemUsage, Diskset, ExcludeXenDom, XenSyms, XenVmcoreinfo, XenPhysStart, ExcludeVmemmap,
            CheckParams, DryRun, SizeLimit,
        })
        {
            Root.Options.Add(option);
        }

        Root.Arguments.Add(Positionals);
    }

    /// <summary>Parser settings: no @response files; bundling is irrelevant for canonical tokens.</summary>
    public static ParserConfiguration Configuration { get; } = new() { ResponseFileTokenReplacer = null, EnablePosixBundling = false };

    /// <summary>The root command.</summary>
    public RootCommand Root { get; }

    /// <summary>-c.</summary>
    public Option<bool> CompressZlib { get; } = Flag(OptionId.CompressZlib);

    /// <summary>-l.</summary>
    public Option<bool> CompressLzo { get; } = Flag(OptionId.CompressLzo);

    /// <summary>-p.</summary>
    public Option<bool> CompressSnappy { get; } = Flag(OptionId.CompressSnappy);

    /// <summary>-z.</summary>
    public Option<bool> CompressZstd { get; } = Flag(OptionId.CompressZstd);

    /// <summary>-d.</summary>
    public Option<IReadOnlyList<int>> DumpLevels { get; } = Valued<IReadOnlyList<int>>(OptionId.DumpLevel,
        (string text, out IReadOnlyList<int> value, out string? error) => ValueParsers.TryParseDumpLevels(text, out value, out error));

    /// <summary>-E.</summary>
    public Option<bool> ElfOutput { get; } = Flag(OptionId.ElfOutput);

    /// <summary>-F.</summary>
    public Option<bool> Flatten { get; } = Flag(OptionId.Flatten);

    /// <summary>-R.</summary>
    public Option<bool> Rearrange { get; } = Flag(OptionId.Rearrange);

    /// <summary>-f.</summary>
    public Option<bool> Force { get; } = Flag(OptionId.Force);

    /// <summary>-x.</summary>
    public Option<string> Vmlinux { get; } = Text(OptionId.Vmlinux);

    /// <summary>-i.</summary>
    public Option<string> VmcoreinfoFile { get; } = Text(OptionId.VmcoreinfoFile);

    /// <summary>-g.</summary>
    public Option<string> GenerateVmcoreinfo { get; } = Text(OptionId.GenerateVmcoreinfo);

    /// <summary>--config.</summary>
    public Option<string> ConfigFile { get; } = Text(OptionId.Config);

    /// <summary>--eppic.</summary>
    public Option<string> Eppic { get; } = Text(OptionId.Eppic);

    /// <summary>-b.</summary>
    public Option<int?> BlockOrder { get; } = Valued<int?>(OptionId.BlockOrder,
        (string text, out int? value, out string? error) => Box(ValueParsers.TryParseBlockOrder(text, out var v, out error), v, out value));

    /// <summary>--cyclic-buffer.</summary>
    public Option<long?> CyclicBuffer { get; } = Valued<long?>(OptionId.CyclicBuffer,
        (string text, out long? value, out string? error) => Box(ValueParsers.TryParseKiB(text, "Cyclic_buffer", out var v, out error), v, out value));

    /// <summary>--splitblock-size.</summary>
    public Option<long?> SplitBlockSize { get; } = Valued<long?>(OptionId.SplitBlockSize,
        (string text, out long? value, out string? error) => Box(ValueParsers.TryParseKiB(text, "Splitblock_size", out var v, out error), v, out value));

    /// <summary>--work-dir.</summary>
    public Option<string> WorkDir { get; } = Text(OptionId.WorkDir);

    /// <summary>--non-mmap.</summary>
    public Option<bool> NonMmap { get; } = Flag(OptionId.NonMmap);

    /// <summary>--split.</summary>
    public Option<bool> Split { get; } = Flag(OptionId.Split);

    /// <summary>--reassemble.</summary>
    public Option<bool> Reassemble { get; } = Flag(OptionId.Reassemble);

    /// <summary>--num-threads.</summary>
    public Option<int?> NumThreads { get; } = Valued<int?>(OptionId.NumThreads,
        (string text, out int? value, out string? error) => Box(ValueParsers.TryParseThreadCount(text, out var v, out error), v, out value));

    /// <summary>--message-level.</summary>
    public Option<int?> MessageLevel { get; } = Valued<int?>(OptionId.MessageLevel,
        (string text, out int? value, out string? error) => Box(ValueParsers.TryParseMessageLevel(text, out var v, out error), v, out value));

    /// <summary>-D.</summary>
    public Option<bool> Debug { get; } = Flag(OptionId.Debug);

    /// <summary>--show-stats.</summary>
    public Option<bool> ShowStats { get; } = Flag(OptionId.ShowStats);

    /// <summary>--vtop.</summary>
    public Option<ulong?> Vtop { get; } = Valued<ulong?>(OptionId.Vtop,
        (string text, out ulong? value, out string? error) => Box(ValueParsers.TryParseHexAddress(text, "Vtop_address", out var v, out error), v, out value));

    /// <summary>--dump-dmesg.</summary>
    public Option<bool> DumpDmesg { get; } = Flag(OptionId.DumpDmesg);

    /// <summary>--partial-dmesg.</summary>
    public Option<bool> PartialDmesg { get; } = Flag(OptionId.PartialDmesg);

    /// <summary>--mem-usage.</summary>
    public Option<bool> MemUsage { get; } = Flag(OptionId.MemUsage);

    /// <summary>--diskset (may be repeated; every occurrence is kept in order).</summary>
    public Option<string[]> Diskset { get; } = new(OptionTable.Get(OptionId.Diskset).DisplayName)
    {
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = result => result.Tokens.Select(token => token.Value).ToArray(),
    };

    /// <summary>-X.</summary>
    public Option<bool> ExcludeXenDom { get; } = Flag(OptionId.ExcludeXenDom);

    /// <summary>--xen-syms.</summary>
    public Option<string> XenSyms { get; } = Text(OptionId.XenSyms);

    /// <summary>--xen-vmcoreinfo.</summary>
    public Option<string> XenVmcoreinfo { get; } = Text(OptionId.XenVmcoreinfo);

    /// <summary>--xen_phys_start.</summary>
    public Option<ulong?> XenPhysStart { get; } = Valued<ulong?>(OptionId.XenPhysStart,
        (string text, out ulong? value, out string? error) => Box(ValueParsers.TryParseHexAddress(text, "Xen_phys_start", out var v, out error), v, out value));

    /// <summary>-e.</summary>
    public Option<bool> ExcludeVmemmap { get; } = Flag(OptionId.ExcludeVmemmap);

    /// <summary>--check-params.</summary>
    public Option<bool> CheckParams { get; } = Flag(OptionId.CheckParams);

    /// <summary>--dry-run.</summary>
    public Option<bool> DryRun { get; } = Flag(OptionId.DryRun);

    /// <summary>-L.</summary>
    public Option<ulong?> SizeLimit { get; } = Valued<ulong?>(OptionId.SizeLimit,
        (string text, out ulong? value, out string? error) => Box(ValueParsers.TryParseSizeLimit(text, out var v, out error), v, out value));

    /// <summary>The non-option arguments.</summary>
    public Argument<string[]> Positionals { get; } = new("positionals")
    {
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result => result.Tokens.Select(token => token.Value).ToArray(),
    };

    /// <summary>A value parser in the Try pattern.</summary>
    private delegate bool TryParse<T>(string text, out T value, out string? error);

    /// <summary>A flag: takes no argument, true when present.</summary>
    private static Option<bool> Flag(OptionId id) => new(OptionTable.Get(id).DisplayName) { Arity = ArgumentArity.Zero };

    /// <summary>An option with one string argument.</summary>
    private static Option<string> Text(OptionId id) => new(OptionTable.Get(id).DisplayName)
    {
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result => result.Tokens[0].Value,
    };

    /// <summary>An option with one argument converted by a <see cref="ValueParsers"/> method; failures become parse errors.</summary>
    private static Option<T> Valued<T>(OptionId id, TryParse<T> parse) => new(OptionTable.Get(id).DisplayName)
    {
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result =>
        {
            if (parse(result.Tokens[0].Value, out var value, out var error))
            {
                return value;
            }

            result.AddError(error ?? Messages.InvalidCommandLine);
            return default;
        },
    };

    /// <summary>
    /// Adapts a Try parser of a value type to a nullable result. A successful parse must never yield null:
    /// System.CommandLine would then fall back to its own conversion of the token.
    /// </summary>
    private static bool Box<T>(bool ok, T parsed, out T? value)
        where T : struct
    {
        value = ok ? parsed : null;
        return ok;
    }
}
