using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenEas.Client;

/// <summary>What the CLI (and the console's examples) do to a spec file before sending it.</summary>
public static class SpecFiles
{
    /// <summary>
    /// Makes relative <c>storage[].local.path</c> values and a relative local <c>model_path</c> or <c>processor_path</c>
    /// (no <c>scheme://</c>) absolute against the spec file's directory, so a spec next to its code or models (like
    /// <c>examples/echo-py</c>, <c>examples/ocr</c> and <c>examples/custom-processor</c>) works from any working directory. Anything that does not parse is returned
    /// unchanged: the server reports it with its JSON path.
    /// </summary>
    public static string ResolveLocalPaths(string json, string baseDirectory)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException)
        {
            return json;
        }

        if (root is not JsonObject spec)
        {
            return json;
        }

        var changed = false;
        foreach (var field in (ReadOnlySpan<string>)["model_path", "processor_path"])
        {
            if (spec[field] is JsonValue m && m.TryGetValue<string>(out var local)
                && local.Length > 0 && !local.Contains("://", StringComparison.Ordinal) && !Path.IsPathRooted(local))
            {
                spec[field] = Path.GetFullPath(Path.Combine(baseDirectory, local));
                changed = true;
            }
        }

        foreach (var entry in spec["storage"] as JsonArray ?? [])
        {
            if (entry?["local"] is JsonObject local && local["path"] is JsonValue v && v.TryGetValue<string>(out var path)
                && path.Length > 0 && !Path.IsPathRooted(path))
            {
                local["path"] = Path.GetFullPath(Path.Combine(baseDirectory, path));
                changed = true;
            }
        }

        return changed ? spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) : json;
    }
}
