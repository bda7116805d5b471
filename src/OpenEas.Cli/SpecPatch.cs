using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenEas.Cli;

/// <summary>Builds the partial spec <c>eas modify</c> sends from <c>-D key=value</c> assignments and a <c>-s</c> file.</summary>
internal static class SpecPatch
{
    /// <summary>
    /// Turns <c>metadata.instance=3</c>-style assignments into a nested object. Values that parse as JSON
    /// (numbers, true/false, quoted strings, arrays, objects) keep their type; anything else is a string.
    /// </summary>
    public static JsonObject FromAssignments(IEnumerable<string> assignments)
    {
        var root = new JsonObject();
        foreach (var assignment in assignments)
        {
            var eq = assignment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"-D {assignment}: expected key=value (for example -Dmetadata.instance=3)");
            }

            var key = assignment[..eq].Trim();
            if (key.Contains('[', StringComparison.Ordinal))
            {
                throw new CliException(ExitCodes.Usage, $"-D {assignment}: array elements cannot be set with -D; put the change in a file and use -s");
            }

            var segments = key.Split('.');
            if (segments.Any(s => s.Length == 0))
            {
                throw new CliException(ExitCodes.Usage, $"-D {assignment}: '{key}' is not a dotted key like metadata.instance");
            }

            var node = root;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                switch (node[segments[i]])
                {
                    case JsonObject child:
                        node = child;
                        break;
                    case null when !node.ContainsKey(segments[i]):
                        var created = new JsonObject();
                        node[segments[i]] = created;
                        node = created;
                        break;
                    default:
                        throw new CliException(ExitCodes.Usage,
                            $"-D {assignment}: '{string.Join('.', segments[..(i + 1)])}' is already set to a value, not an object");
                }
            }

            node[segments[^1]] = ParseValue(assignment[(eq + 1)..]);
        }

        return root;
    }

    /// <summary>Parses a file's text as the JSON object of a (partial) spec.</summary>
    public static JsonObject ParseObject(string json, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.InvalidSpec, $"{source} is not valid JSON: {ex.Message}");
        }

        return node as JsonObject ?? throw new CliException(ExitCodes.InvalidSpec, $"{source} must hold a JSON object");
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="target"/> (objects recursively; anything else replaced).</summary>
    public static JsonObject Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is JsonObject patchChild && target[key] is JsonObject targetChild)
            {
                Merge(targetChild, patchChild);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }

        return target;
    }

    private static JsonNode? ParseValue(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
