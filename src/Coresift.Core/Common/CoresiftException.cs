namespace Coresift.Common;

/// <summary>A failure that coresift reports to the user as one line and exit code 1.</summary>
public class CoresiftException : Exception
{
    /// <summary>Creates the exception with the one-line message shown to the user.</summary>
    public CoresiftException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the low-level cause.</summary>
    public CoresiftException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The input file is malformed, truncated or hostile.</summary>
public sealed class BadInputException : CoresiftException
{
    /// <summary>Creates the exception with the one-line message shown to the user.</summary>
    public BadInputException(string message) : base(message) { }
}
