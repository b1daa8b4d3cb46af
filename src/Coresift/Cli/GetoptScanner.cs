namespace Coresift.App.Cli;

/// <summary>
/// Splits argv exactly as GNU getopt_long does for makedumpfile: short-option bundles (-lF, -ld31),
/// attached or separate arguments, unambiguous long-option prefixes (--num=4), "--name=value",
/// argument permutation (positionals anywhere) and "--" ending the options.
/// Options are returned one at a time so that the caller can stop at the first error, as makedumpfile does.
/// </summary>
internal sealed class GetoptScanner
{
    private readonly IReadOnlyList<string> _args;
    private readonly List<string> _positionals = [];
    private int _index;
    private string? _bundle;
    private int _bundlePosition;

    /// <summary>Creates a scanner over the arguments (without the program name).</summary>
    public GetoptScanner(IReadOnlyList<string> args) => _args = args;

    /// <summary>The non-option arguments seen so far, in order (complete once <see cref="Next"/> returned the end).</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>Returns the next option, a getopt error, or the end.</summary>
    public ScanStep Next()
    {
        if (_bundle is not null)
        {
            return NextInBundle();
        }

        while (_index < _args.Count)
        {
            var arg = _args[_index++];
            if (arg == "--")
            {
                while (_index < _args.Count)
                {
                    _positionals.Add(_args[_index++]);
                }

                break;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                return LongOption(arg);
            }

            if (arg.Length > 1 && arg[0] == '-')
            {
                _bundle = arg;
                _bundlePosition = 1;
                return NextInBundle();
            }

            _positionals.Add(arg);
        }

        return ScanStep.End;
    }

    /// <summary>Handles one "--name[=value]" argument.</summary>
    private ScanStep LongOption(string arg)
    {
        var body = arg.AsSpan(2);
        var equals = body.IndexOf('=');
        var name = equals >= 0 ? body[..equals] : body;
        var matches = FindLongMatches(name);
        if (matches.Count == 0)
        {
            return ScanStep.Failed($"unrecognized option '{arg}'");
        }

        if (matches.Count > 1)
        {
            var possibilities = string.Join(' ', matches.Select(m => $"'--{m.LongName}'"));
            return ScanStep.Failed($"option '{arg}' is ambiguous; possibilities: {possibilities}");
        }

        var spec = matches[0];
        if (!spec.TakesArgument)
        {
            return equals >= 0
                ? ScanStep.Failed($"option '--{spec.LongName}' doesn't allow an argument")
                : ScanStep.Found(spec, null);
        }

        if (equals >= 0)
        {
            return ScanStep.Found(spec, body[(equals + 1)..].ToString());
        }

        return _index < _args.Count
            ? ScanStep.Found(spec, _args[_index++])
            : ScanStep.Failed($"option '--{spec.LongName}' requires an argument");
    }

    /// <summary>An exact long name wins; otherwise every long name starting with the given prefix.</summary>
    private static List<OptionSpec> FindLongMatches(ReadOnlySpan<char> name)
    {
        var prefixMatches = new List<OptionSpec>();
        foreach (var spec in OptionTable.LongOptions)
        {
            var longName = spec.LongName.AsSpan();
            if (longName.SequenceEqual(name))
            {
                return [spec];
            }

            if (longName.StartsWith(name, StringComparison.Ordinal))
            {
                prefixMatches.Add(spec);
            }
        }

        return prefixMatches;
    }

    /// <summary>Returns the next letter of a short-option bundle such as "-lfd31".</summary>
    private ScanStep NextInBundle()
    {
        var bundle = _bundle!;
        var letter = bundle[_bundlePosition++];
        var atEnd = _bundlePosition >= bundle.Length;
        var spec = OptionTable.FindShort(letter);
        if (spec is null)
        {
            if (atEnd)
            {
                _bundle = null;
            }

            return ScanStep.Failed($"invalid option -- '{letter}'");
        }

        if (!spec.TakesArgument)
        {
            if (atEnd)
            {
                _bundle = null;
            }

            return ScanStep.Found(spec, null);
        }

        _bundle = null;
        if (!atEnd)
        {
            return ScanStep.Found(spec, bundle[_bundlePosition..]);
        }

        return _index < _args.Count
            ? ScanStep.Found(spec, _args[_index++])
            : ScanStep.Failed($"option requires an argument -- '{letter}'");
    }
}
