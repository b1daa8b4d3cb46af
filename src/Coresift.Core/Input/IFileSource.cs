namespace Coresift.Input;

/// <summary>Random-access bytes of a logical file: a plain file, or the file a flattened stream describes.</summary>
public interface IFileSource
{
    /// <summary>The path, for messages.</summary>
    string Path { get; }

    /// <summary>The logical size.</summary>
    long Length { get; }

    /// <summary>Reads exactly destination.Length bytes at offset, or raises a one-line error.</summary>
    void ReadExactly(long offset, Span<byte> destination);
}
