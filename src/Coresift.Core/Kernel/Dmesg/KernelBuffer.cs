using System.Buffers.Binary;
using Coresift.Common;

namespace Coresift.Kernel.Dmesg;

/// <summary>A kernel buffer [address, address + length) read lazily in chunks, so that memory grows with what is looked at.</summary>
/// <remarks>Offsets are checked against the length; nothing is allocated from an unchecked size.</remarks>
internal sealed class KernelBuffer
{
    /// <summary>Bytes fetched from the dump per chunk.</summary>
    private const int ChunkBytes = 64 << 10;

    /// <summary>Chunks kept at once (4 MiB); the walks are mostly sequential, so dropping them all when full is enough.</summary>
    private const int MaxCachedChunks = 64;

    private readonly IKernelMemory _mem;
    private readonly Dictionary<long, byte[]?> _chunks = new();

    /// <summary>Virtual address of the first byte.</summary>
    public ulong Address { get; }

    /// <summary>Length in bytes.</summary>
    public long Length { get; }

    /// <summary>What the buffer holds, for messages.</summary>
    public string What { get; }

    /// <summary>Describes a buffer; its length must already be checked against a cap.</summary>
    public KernelBuffer(IKernelMemory mem, ulong address, long length, string what)
    {
        _mem = mem;
        Address = address;
        Length = length;
        What = what;
    }

    /// <summary>Copies [offset, offset + destination.Length); false when the range is outside the buffer or unreadable.</summary>
    public bool TryRead(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset > Length || destination.Length > Length - offset)
            return false;
        while (destination.Length > 0)
        {
            long index = offset / ChunkBytes;
            int within = (int)(offset % ChunkBytes);
            byte[]? chunk = Chunk(index);
            int n = (int)Math.Min(destination.Length, Math.Min(ChunkBytes - within, Length - offset));
            if (chunk is null)
            {
                // Part of the chunk is missing from the dump: try exactly the bytes asked for.
                if (!_mem.TryRead(unchecked(Address + (ulong)offset), destination[..n]))
                    return false;
            }
            else
            {
                chunk.AsSpan(within, n).CopyTo(destination);
            }
            destination = destination[n..];
            offset += n;
        }
        return true;
    }

    /// <summary>Copies a range or raises a bad-input error naming the buffer.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (!TryRead(offset, destination))
            ThrowHelper.BadInput($"cannot read {destination.Length} bytes of {What} at offset {offset} (0x{unchecked(Address + (ulong)offset):x})");
    }

    /// <summary>Reads a little-endian u64 at an offset.</summary>
    public ulong U64(long offset)
    {
        Span<byte> b = stackalloc byte[8];
        Read(offset, b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>The chunk at index, read on first use; null when part of it is missing from the dump.</summary>
    private byte[]? Chunk(long index)
    {
        if (_chunks.TryGetValue(index, out var c))
            return c;
        if (_chunks.Count >= MaxCachedChunks)
            _chunks.Clear();
        long start = index * ChunkBytes;
        var bytes = new byte[(int)Math.Min(ChunkBytes, Length - start)];
        c = _mem.TryRead(unchecked(Address + (ulong)start), bytes) ? bytes : null;
        _chunks[index] = c;
        return c;
    }
}
