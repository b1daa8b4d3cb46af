using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;

namespace Coresift.App.Cli;

/// <summary>
/// Binds the options collected by <see cref="OptionLoop"/> to a <see cref="DumpOptions"/> with System.CommandLine:
/// the occurrences are rewritten as canonical tokens ("-d=31", "--num-threads=4", "--", positionals), parsed by
/// <see cref="CliCommand"/>, and the typed values read back.
/// </summary>
internal static class OptionBinder
{
    /// <summary>Binds; returns false with makedumpfile-style message lines when an argument is not valid.</summary>
    public static bool TryBind(OptionLoop loop, [NotNullWhen(true)] out DumpOptions? options, out IReadOnlyList<string> errors)
    {
        var command = new CliCommand();
        var result = command.Root.Parse(CanonicalTokens(command, loop), CliCommand.Configuration);
        if (result.Errors.Count > 0)
        {
            options = null;
            errors = [result.Errors[0].Message];
            return false;
        }

        options = Build(command, result, loop);
        errors = [];
        return true;
    }

    /// <summary>
    /// The root command name, then each option in order (only the last occurrence of a single-valued option,
    /// as getopt's "last one wins"), then "--" and the positionals. Arguments are attached with '=' so that a
    /// value such as "--" or "-l" can never be taken for an option; an empty value is passed as its own token.
    /// </summary>
    private static List<string> CanonicalTokens(CliCommand command, OptionLoop loop)
    {
        var tokens = new List<string> { command.Root.Name };
        var occurrences = loop.Occurrences;
        for (var i = 0; i < occurrences.Count; i++)
        {
            var (spec, argument) = occurrences[i];
            if (spec.Id is OptionId.Help or OptionId.Version)
            {
                continue; // Handled before binding; read from the loop.
            }

            if (argument is null)
            {
                tokens.Add(spec.DisplayName);
                continue;
            }

            var repeatable = spec.Id == OptionId.Diskset;
            if (!repeatable && IsGivenLater(occurrences, i))
            {
                continue;
            }

            if (argument.Length > 0)
            {
                tokens.Add(spec.DisplayName + "=" + argument);
            }
            else
            {
                tokens.Add(spec.DisplayName);
                tokens.Add(argument);
            }
        }

        tokens.Add("--");
        tokens.AddRange(loop.Positionals);
        return tokens;
    }

    /// <summary>True when the same option occurs again after index i.</summary>
    private static bool IsGivenLater(IReadOnlyList<OptionOccurrence> occurrences, int i)
    {
        for (var j = i + 1; j < occurrences.Count; j++)
        {
            if (occurrences[j].Spec.Id == occurrences[i].Spec.Id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads the typed values; applies makedumpfile's defaults and derived message level.</summary>
    private static DumpOptions Build(CliCommand c, ParseResult r, OptionLoop loop)
    {
        var debug = r.GetValue(c.Debug);
        var showStats = r.GetValue(c.ShowStats);
        var checkParams = r.GetValue(c.CheckParams);
        var messageLevel = checkParams ? DumpOptions.DefaultMessageLevel : r.GetValue(c.MessageLevel) ?? DumpOptions.DefaultMessageLevel;
        if (debug)
        {
            messageLevel |= 8;
        }

        if (showStats)
        {
            messageLevel |= 16;
        }

        return new DumpOptions
        {
            Compression = LastCompression(c, r),
            DumpLevels = r.GetValue(c.DumpLevels) ?? [0],
            ElfOutput = r.GetValue(c.ElfOutput),
            Flatten = r.GetValue(c.Flatten),
            Rearrange = r.GetValue(c.Rearrange),
            Force = r.GetValue(c.Force),
            Vmlinux = r.GetValue(c.Vmlinux),
            VmcoreinfoFile = r.GetValue(c.VmcoreinfoFile),
            GenerateVmcoreinfo = r.GetValue(c.GenerateVmcoreinfo),
            ConfigFile = r.GetValue(c.ConfigFile),
            Eppic = r.GetValue(c.Eppic),
            BlockOrder = r.GetValue(c.BlockOrder) ?? DumpOptions.DefaultBlockOrder,
            CyclicBufferKiB = ZeroAsNull(r.GetValue(c.CyclicBuffer)),
            SplitBlockSizeKiB = ZeroAsNull(r.GetValue(c.SplitBlockSize)),
            WorkDir = r.GetValue(c.WorkDir),
            NonMmap = r.GetValue(c.NonMmap),
            Split = r.GetValue(c.Split),
            Reassemble = r.GetValue(c.Reassemble),
            NumThreads = r.GetValue(c.NumThreads),
            MessageLevel = messageLevel,
            Debug = debug,
            ShowStats = showStats,
            VtopAddress = r.GetValue(c.Vtop),
            DumpDmesg = r.GetValue(c.DumpDmesg),
            PartialDmesg = r.GetValue(c.PartialDmesg),
            MemUsage = r.GetValue(c.MemUsage),
            Diskset = r.GetValue(c.Diskset) ?? [],
            ExcludeXenDom = r.GetValue(c.ExcludeXenDom),
            XenSyms = r.GetValue(c.XenSyms),
            XenVmcoreinfo = r.GetValue(c.XenVmcoreinfo),
            XenPhysStart = r.GetValue(c.XenPhysStart),
            ExcludeVmemmap = r.GetValue(c.ExcludeVmemmap),
            CheckParams = checkParams,
            DryRun = r.GetValue(c.DryRun),
            SizeLimit = r.GetValue(c.SizeLimit),
            ShowHelp = loop.Has(OptionId.Help),
            ShowVersion = loop.Has(OptionId.Version),
            Positionals = r.GetValue(c.Positionals) ?? [],
            UnsupportedOptions = loop.UnsupportedOptions(),
        };
    }

    /// <summary>makedumpfile treats a buffer size of 0 like no size given (use the automatic/default size).</summary>
    private static long? ZeroAsNull(long? kib) => kib is 0 ? null : kib;

    /// <summary>The last of -c/-l/-p/-z in command-line order, or None.</summary>
    private static CompressionKind LastCompression(CliCommand c, ParseResult r)
    {
        var kind = CompressionKind.None;
        foreach (var token in r.Tokens)
        {
            if (token.Type != TokenType.Option)
            {
                continue;
            }

            kind = token.Value switch
            {
                _ when token.Value == c.CompressZlib.Name => CompressionKind.Zlib,
                _ when token.Value == c.CompressLzo.Name => CompressionKind.Lzo,
                _ when token.Value == c.CompressSnappy.Name => CompressionKind.Snappy,
                _ when token.Value == c.CompressZstd.Name => CompressionKind.Zstd,
                _ => kind,
            };
        }

        return kind;
    }
}
