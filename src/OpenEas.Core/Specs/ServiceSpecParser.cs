using System.Text.Json;
using System.Text.Json.Nodes;
using OpenEas.Contracts;

namespace OpenEas.Core.Specs;

/// <summary>The outcome of parsing a spec.</summary>
public sealed record SpecParseResult(ServiceSpec? Spec, IReadOnlyList<SpecIssue> Errors, IReadOnlyList<SpecIssue> Warnings)
{
    public bool IsValid => Spec is not null && Errors.Count == 0;
}

/// <summary>Interim parser (replaced by the full one).</summary>
public static class ServiceSpecParser
{
    public static SpecParseResult Parse(string json)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject o ? Parse(o) : new(null, [new("", "must be a JSON object")], []);
        }
        catch (JsonException ex)
        {
            return new(null, [new("", "malformed JSON: " + ex.Message)], []);
        }
    }

    public static SpecParseResult Parse(JsonObject obj)
    {
        var name = obj["name"]?.GetValue<string>() ?? "";
        var c = obj["containers"]?[0];
        var container = c is null ? null : new ContainerSpec
        {
            Script = c["script"]?.GetValue<string>(),
            Port = c["port"]?.GetValue<int>() ?? 0,
        };
        var m = obj["metadata"];
        var meta = new MetadataSpec
        {
            Instance = m?["instance"]?.GetValue<int>() ?? 1,
            Cpu = m?["cpu"]?.GetValue<double>() ?? 1,
            Memory = m?["memory"]?.GetValue<long>() ?? 1000,
        };
        return new(new ServiceSpec { Name = name, Raw = obj, Containers = container is null ? [] : [container], Metadata = meta }, [], []);
    }
}

/// <summary>Interim merge (replaced by the full one).</summary>
public static class SpecMerge
{
    public static JsonObject Merge(JsonObject current, JsonObject patch)
    {
        var result = (JsonObject)current.DeepClone();
        foreach (var (k, v) in patch)
        {
            if (v is JsonObject po && result[k] is JsonObject ro)
            {
                result[k] = Merge(ro, po);
            }
            else if (v is null)
            {
                result.Remove(k);
            }
            else
            {
                result[k] = v.DeepClone();
            }
        }

        return result;
    }

    public static bool DiffersOnlyInInstanceCount(JsonObject a, JsonObject b)
    {
        var x = (JsonObject)a.DeepClone();
        var y = (JsonObject)b.DeepClone();
        (x["metadata"] as JsonObject)?.Remove("instance");
        (y["metadata"] as JsonObject)?.Remove("instance");
        return JsonNode.DeepEquals(x, y);
    }
}
