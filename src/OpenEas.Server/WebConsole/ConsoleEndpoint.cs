using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace OpenEas.Server.WebConsole;

/// <summary>
/// Serves the web console: <c>/</c> is its page, <c>/assets/*</c> its bundle (content-hashed names, cached for a
/// year), all embedded in this assembly at build time with Brotli and gzip copies made by the bundler.
/// The page talks only to <c>/api/v2</c> with the admin token the user signs in with.
/// </summary>
internal static class ConsoleEndpoint
{
    private const string Prefix = "console/";

    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(Load);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html", immutable: false));
        app.MapGet("/index.html", (HttpContext context) => Serve(context, "index.html", immutable: false));
        app.MapGet("/assets/{file}", (string file, HttpContext context) => Serve(context, file, immutable: true));
    }

    /// <summary>The names of the embedded files (without their compressed copies); for tests and the docs.</summary>
    public static IReadOnlyCollection<string> Files => Assets.Value.Keys;

    private static IResult Serve(HttpContext context, string file, bool immutable)
    {
        if (!Assets.Value.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        var response = context.Response;
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
        response.Headers.Vary = HeaderNames.AcceptEncoding;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";

        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        var accept = context.Request.Headers.AcceptEncoding.ToString();
        if (asset.Brotli is not null && accept.Contains("br", StringComparison.OrdinalIgnoreCase))
        {
            response.Headers.ContentEncoding = "br";
            return Results.Bytes(asset.Brotli, asset.ContentType);
        }

        if (asset.Gzip is not null && accept.Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            response.Headers.ContentEncoding = "gzip";
            return Results.Bytes(asset.Gzip, asset.ContentType);
        }

        return Results.Bytes(asset.Raw, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleEndpoint).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToHashSet();
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name.EndsWith(".br", StringComparison.Ordinal) || name.EndsWith(".gz", StringComparison.Ordinal))
            {
                continue;
            }

            var raw = Read(assembly, name)!;
            assets[name[Prefix.Length..]] = new Asset(
                raw,
                names.Contains(name + ".br") ? Read(assembly, name + ".br") : null,
                names.Contains(name + ".gz") ? Read(assembly, name + ".gz") : null,
                ContentType(name),
                "\"" + Convert.ToHexStringLower(SHA256.HashData(raw))[..16] + "\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[]? Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".woff2" => "font/woff2",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Raw, byte[]? Brotli, byte[]? Gzip, string ContentType, string ETag);
}
