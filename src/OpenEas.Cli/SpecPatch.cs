using System.Text.Json;
using System.Text.Json.Nodes;
using OpenEas.Core.Specs;

namespace OpenEas.Cli;

/// <summary>Builds the partial spec <c>eas modify</c> sends from <c>-D key=value</c> assignments and a <c>-s</c> file.</summary>
internal static class SpecPatch
{
    /// <summary>
    /// Turns <c>metadata.instance=3</c>-style assignments (also <c>containers[0].port=9000</c>) into a patch, with
    /// the same rules the server merges by (<see cref="SpecMerge"/>). Values that parse as JSON keep their type.
    /// </summary>
    public static JsonObject FromAssignments(IEnumerable<string> assignments)
    {
        try
        {
            return SpecMerge.FromDottedAssignments(assignments);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCodes.Usage, $"-D {ex.Message}");
        }
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

    /// <summary>Merges the <c>-D</c> patch over the <c>-s</c> file's object.</summary>
    public static JsonObject Merge(JsonObject target, JsonObject patch)
    {
        try
        {
            return SpecMerge.Merge(target, patch);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCodes.Usage, $"-D {ex.Message}");
        }
    }
}
