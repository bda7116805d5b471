using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenEas.Contracts;

namespace OpenEas.Core.Specs;

/// <summary>
/// Reads typed values out of a JSON tree and collects every finding with its JSON path
/// (<c>containers[0].port</c>). Readers return null when a value is absent or wrong, so a walk never stops early.
/// </summary>
internal sealed class SpecReader
{
    public List<SpecIssue> Errors { get; } = [];
    public List<SpecIssue> Warnings { get; } = [];

    public void Error(string path, string message) => Errors.Add(new SpecIssue(path, message));

    public void Warn(string path, string message) => Warnings.Add(new SpecIssue(path, message));

    public static string Join(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;

    public static string Index(string parent, int index) => parent + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    /// <summary>Warns about every key of <paramref name="obj"/> not in <paramref name="known"/>; the key stays in the raw spec.</summary>
    public void WarnUnknown(JsonObject obj, string path, IReadOnlySet<string> known)
    {
        foreach (var (key, _) in obj)
        {
            if (!known.Contains(key))
            {
                Warn(Join(path, key), "unknown field, kept as is");
            }
        }
    }

    /// <summary>How a value is shown in a message: <c>string "abc"</c>, <c>number 70000</c>, <c>an array</c>.</summary>
    public static string Describe(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return "null";
            case JsonObject:
                return "an object";
            case JsonArray:
                return "an array";
            default:
                var kind = node.GetValueKind();
                var text = node.ToJsonString();
                if (text.Length > 60)
                {
                    text = text[..57] + "...";
                }

                return kind switch
                {
                    JsonValueKind.String => "string " + text,
                    JsonValueKind.Number => "number " + text,
                    JsonValueKind.True or JsonValueKind.False => "boolean " + text,
                    _ => text,
                };
        }
    }

    private void Wrong(string path, string expected, JsonNode? node) =>
        Error(path, "must be " + expected + ", got " + Describe(node));

    public JsonObject? Object(JsonNode? node, string path)
    {
        if (node is null or JsonObject)
        {
            return node as JsonObject;
        }

        Wrong(path, "an object", node);
        return null;
    }

    public JsonArray? Array(JsonNode? node, string path)
    {
        if (node is null or JsonArray)
        {
            return node as JsonArray;
        }

        Wrong(path, "an array", node);
        return null;
    }

    public string? String(JsonNode? node, string path, bool nonEmpty = true)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var s = v.GetValue<string>();
            if (nonEmpty && s.Length == 0)
            {
                Error(path, "must not be empty");
                return null;
            }

            return s;
        }

        Wrong(path, "a string", node);
        return null;
    }

    public bool? Bool(JsonNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        switch (node.GetValueKind())
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                Wrong(path, "true or false", node);
                return null;
        }
    }

    /// <summary>An integer in [min, max]; with <paramref name="allowString"/> a numeric string ("2") counts too.</summary>
    public long? Integer(JsonNode? node, string path, long min, long max, string expected, bool allowString = false)
    {
        if (node is null)
        {
            return null;
        }

        if (TryNumber(node, allowString, out var value) && value == Math.Floor(value) && value >= min && value <= max)
        {
            return (long)value;
        }

        Wrong(path, expected, node);
        return null;
    }

    /// <summary>A number above <paramref name="min"/> (or equal to it when <paramref name="minInclusive"/>).</summary>
    public double? Number(JsonNode? node, string path, double min, bool minInclusive, string expected, bool allowString = false)
    {
        if (node is null)
        {
            return null;
        }

        if (TryNumber(node, allowString, out var value) && double.IsFinite(value) && (minInclusive ? value >= min : value > min))
        {
            return value;
        }

        Wrong(path, expected, node);
        return null;
    }

    /// <summary>A string, or a number or boolean turned into its JSON text (env values, model_config).</summary>
    public string? Text(JsonNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        switch (node.GetValueKind())
        {
            case JsonValueKind.String:
                return node.GetValue<string>();
            case JsonValueKind.Number:
            case JsonValueKind.True:
            case JsonValueKind.False:
                return node.ToJsonString();
            default:
                Wrong(path, "a string, number or boolean", node);
                return null;
        }
    }

    /// <summary>A non-empty list of strings.</summary>
    public List<string>? StringList(JsonNode? node, string path)
    {
        var array = Array(node, path);
        if (array is null)
        {
            return null;
        }

        if (array.Count == 0)
        {
            Error(path, "must not be empty");
            return null;
        }

        var list = new List<string>(array.Count);
        var ok = true;
        for (var i = 0; i < array.Count; i++)
        {
            var s = String(array[i], Index(path, i), nonEmpty: false);
            if (s is null)
            {
                if (array[i] is null)
                {
                    Error(Index(path, i), "must be a string, got null");
                }

                ok = false;
                continue;
            }

            list.Add(s);
        }

        return ok ? list : null;
    }

    private static bool TryNumber(JsonNode node, bool allowString, out double value)
    {
        value = 0;
        if (node is not JsonValue)
        {
            return false;
        }

        var kind = node.GetValueKind();
        string text;
        if (kind == JsonValueKind.Number)
        {
            text = node.ToJsonString();
        }
        else if (kind == JsonValueKind.String && allowString)
        {
            text = node.GetValue<string>().Trim();
        }
        else
        {
            return false;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }
}
