namespace Coresift.Codecs;

/// <summary>Creates page codecs by kdump flag or name.</summary>
public static class PageCodecs
{
    /// <summary>The LZO1X codec (null until it is built).</summary>
    public static IPageCodec? Lzo() => null;
}
