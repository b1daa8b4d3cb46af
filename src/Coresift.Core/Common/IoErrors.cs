namespace Coresift.Common;

/// <summary>Short reasons for I/O failures that do not depend on the runtime's resource strings (trimmed away in the binary).</summary>
public static class IoErrors
{
    /// <summary>A few words saying why an I/O operation failed.</summary>
    public static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        PathTooLongException => "File name too long",
        IOException io when io.HResult != 0 && !io.Message.Contains("IO_", StringComparison.Ordinal) => io.Message,
        _ => e.GetType().Name,
    };
}
