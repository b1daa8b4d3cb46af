namespace Coresift.Codecs;

/// <summary>Creates page codecs by kdump flag.</summary>
public static class PageCodecs
{
    /// <summary>The LZO1X-1 codec (coresift's own implementation).</summary>
    public static IPageCodec? Lzo() => new LzoPageCodec();
}
