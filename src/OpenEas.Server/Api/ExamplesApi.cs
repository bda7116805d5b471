using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenEas.Client;
using OpenEas.Core.Hosting;

namespace OpenEas.Server.Api;

/// <summary>
/// <c>GET /api/v2/examples</c>: the examples shipped with the server (the repository's <c>examples/</c>, embedded at
/// build time), each written out under <c>&lt;data&gt;/examples/&lt;name&gt;/</c> so its spec's relative
/// <c>storage[].local.path</c> resolves there; the console creates services from them.
/// </summary>
internal static class ExamplesApi
{
    private const string Prefix = "examples/";
    private static readonly Lock WriteLock = new();

    /// <param name="api">The <c>/api/v2</c> group (admin auth and ProblemDetails come with it).</param>
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/examples", (EasCoreOptions options) =>
            Results.Text(List(Path.Combine(options.DataDir, "examples")).ToJsonString(), "application/json"));

    /// <summary><c>[{"name", "description", "spec"}]</c> for every embedded example with a <c>service.json</c>.</summary>
    internal static JsonArray List(string root)
    {
        var assembly = typeof(ExamplesApi).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.Count(c => c == '/') >= 2)
            .Order(StringComparer.Ordinal)
            .ToList();
        var list = new JsonArray();
        foreach (var example in files.Select(f => f.Split('/')[1]).Distinct())
        {
            var dir = Path.Combine(root, example);
            lock (WriteLock)
            {
                foreach (var file in files.Where(f => f.StartsWith($"{Prefix}{example}/", StringComparison.Ordinal)))
                {
                    WriteIfChanged(assembly, file, Path.Combine(dir, file[(Prefix.Length + example.Length + 1)..]));
                }
            }

            var specFile = Path.Combine(dir, "service.json");
            if (!File.Exists(specFile))
            {
                continue;
            }

            JsonNode? spec;
            try
            {
                spec = JsonNode.Parse(SpecFiles.ResolveLocalPaths(File.ReadAllText(specFile), dir));
            }
            catch (System.Text.Json.JsonException)
            {
                continue; // a broken example is left out rather than offered
            }

            list.Add(new JsonObject
            {
                ["name"] = example,
                ["description"] = Describe(dir),
                ["spec"] = spec,
            });
        }

        return list;
    }

    /// <summary>The first paragraph of the example's README.md (one line), or empty.</summary>
    private static string Describe(string dir)
    {
        var readme = Path.Combine(dir, "README.md");
        if (!File.Exists(readme))
        {
            return "";
        }

        var lines = File.ReadLines(readme).Select(l => l.Trim()).SkipWhile(l => l.Length == 0 || l.StartsWith('#'));
        return string.Join(' ', lines.TakeWhile(l => l.Length > 0));
    }

    private static void WriteIfChanged(System.Reflection.Assembly assembly, string resource, string path)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}
