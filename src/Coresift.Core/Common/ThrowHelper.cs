using System.Diagnostics.CodeAnalysis;

namespace Coresift.Common;

/// <summary>The one place where input-validation failures are raised.</summary>
internal static class ThrowHelper
{
    /// <summary>Raises a bad-input error with the given message.</summary>
    [DoesNotReturn]
    public static void BadInput(string message) => throw new BadInputException(message);

    /// <summary>Raises a bad-input error unless the condition holds.</summary>
    public static void Check([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
            throw new BadInputException(message);
    }

    /// <summary>Raises a bad-input error when a count read from the file exceeds its limit.</summary>
    public static void CheckLimit(ulong value, ulong limit, string what)
    {
        if (value > limit)
            throw new BadInputException($"{what} ({value}) exceeds the limit ({limit}); the input is corrupt or hostile");
    }

    /// <summary>Returns a + b, raising a bad-input error on unsigned overflow.</summary>
    public static ulong AddChecked(ulong a, ulong b, string what)
    {
        ulong sum = unchecked(a + b);
        if (sum < a)
            throw new BadInputException($"{what} overflows 64 bits");
        return sum;
    }
}
