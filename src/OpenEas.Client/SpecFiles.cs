using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenEas.Client;

/// <summary>What the CLI (and the console's examples) do to a spec file before sending it.</summary>
public static class SpecFiles
{
    /// <summary>
    /// Makes relative <c>storage[].local.path</c> values absolute against the spec file's directory, so a spec
    /// next to its code (like <c>examples/echo-py</c>) works from any working directory. Anything that does not
    /// parse is returned unchanged: the server reports it with its JSON path.
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

        if (root is not JsonObject spec || spec["storage"] is not JsonArray storage)
        {
            return json;
        }

        var changed = false;
        foreach (var entry in storage)
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
