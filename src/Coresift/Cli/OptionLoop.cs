namespace Coresift.App.Cli;

/// <summary>
/// Walks the options in command-line order the way makedumpfile's getopt loop does: a getopt error or a bad
/// -d, -L or --message-level stops the walk at once, and whether the message is shown depends on the
/// message level and --check-params seen up to that point.
/// </summary>
internal sealed class OptionLoop
{
    private readonly List<OptionOccurrence> _occurrences = [];

    private OptionLoop()
    {
    }

    /// <summary>The options in order (complete only when <see cref="Failure"/> is null).</summary>
    public IReadOnlyList<OptionOccurrence> Occurrences => _occurrences;

    /// <summary>The non-option arguments in order.</summary>
    public IReadOnlyList<string> Positionals { get; private set; } = [];

    /// <summary>The last valid --message-level, or the default.</summary>
    public int MessageLevel { get; private set; } = DumpOptions.DefaultMessageLevel;

    /// <summary>True once --check-params has been seen.</summary>
    public bool CheckParams { get; private set; }

    /// <summary>The outcome when the walk stopped on an error, else null.</summary>
    public ParseOutcome? Failure { get; private set; }

    /// <summary>Walks all arguments.</summary>
    public static OptionLoop Run(IReadOnlyList<string> args)
    {
        var loop = new OptionLoop();
        var scanner = new GetoptScanner(args);
        while (loop.Failure is null)
        {
            var step = scanner.Next();
            if (step.IsEnd)
            {
                break;
            }

            if (step.Error is { } getoptError)
            {
                loop.Failure = loop.Fail(Messages.Invalid, Messages.Getopt(getoptError));
                break;
            }

            loop.Accept(new OptionOccurrence(step.Option!, step.Argument));
        }

        loop.Positionals = scanner.Positionals;
        return loop;
    }

    /// <summary>True when the option was given at least once.</summary>
    public bool Has(OptionId id) => _occurrences.Exists(o => o.Spec.Id == id);

    /// <summary>The options given that coresift does not implement yet, as "-x"/"--config", first use order, no repeats.</summary>
    public IReadOnlyList<string> UnsupportedOptions()
        => _occurrences.Where(o => !o.Spec.Supported).Select(o => o.Spec.DisplayName).Distinct().ToArray();

    /// <summary>
    /// Builds a failure outcome: the getopt line is always printed; makedumpfile's messages and the final
    /// "Failed." line only when the message level has the common bit (forced by --check-params, which
    /// also suppresses the final line).
    /// </summary>
    public ParseOutcome Fail(IReadOnlyList<string> messages, string? getoptLine = null)
    {
        var text = new System.Text.StringBuilder();
        if (getoptLine is not null)
        {
            text.Append(getoptLine).Append('\n');
        }

        const int commonMessageBit = 2;
        if (CheckParams || (MessageLevel & commonMessageBit) != 0)
        {
            foreach (var line in messages)
            {
                text.Append(line).Append('\n');
            }

            if (!CheckParams)
            {
                text.Append('\n').Append(Messages.Failed).Append('\n');
            }
        }

        return ParseOutcome.Exit(1, stderrText: text.ToString());
    }

    /// <summary>Records one option, checking the arguments makedumpfile checks inside its loop.</summary>
    private void Accept(OptionOccurrence occurrence)
    {
        var argument = occurrence.Argument ?? string.Empty;
        string? error = null;
        switch (occurrence.Spec.Id)
        {
            case OptionId.DumpLevel:
                ValueParsers.TryParseDumpLevels(argument, out _, out error);
                break;
            case OptionId.SizeLimit:
                ValueParsers.TryParseSizeLimit(argument, out _, out error);
                break;
            case OptionId.MessageLevel:
                if (ValueParsers.TryParseMessageLevel(argument, out var level, out error))
                {
                    MessageLevel = level;
                }

                break;
            case OptionId.CheckParams:
                CheckParams = true;
                break;
        }

        if (error is not null)
        {
            Failure = Fail([error]);
            return;
        }

        _occurrences.Add(occurrence);
    }
}
