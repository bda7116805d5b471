using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using OpenEas.Contracts;
using OpenEas.Core.Specs;
using OpenEas.Core.Store;

namespace OpenEas.Core.Scaling;

/// <summary>
/// The autoscaler in force for a service: the one set through the API (kept apart from the spec, so changing it
/// makes no new version and restarts nothing), else the spec's own; <c>"off"</c> turns the spec's off.
/// </summary>
public static class EffectiveAutoscaler
{
    public const string Off = "off";

    private static readonly ConcurrentDictionary<string, AutoscalerSpec?> Parsed = new(StringComparer.Ordinal);

    public static AutoscalerSpec? Resolve(ServiceRecord service, ServiceSpec? spec) => service.Autoscaler switch
    {
        null => spec?.Autoscaler,
        Off => null,
        { } json => Parsed.GetOrAdd(json, j => Parse(j, out _)),
    };

    private static readonly ConcurrentDictionary<string, CronScalerSpec?> ParsedCron = new(StringComparer.Ordinal);

    /// <summary>The scheduled scaling in force: set through the API, else the spec's <c>cronscaler</c>.</summary>
    public static CronScalerSpec? ResolveCron(ServiceRecord service, ServiceSpec? spec)
    {
        var json = service.CronScaler switch
        {
            Off => null,
            null => spec?.Raw["cronscaler"]?.ToJsonString(),
            { } set => set,
        };
        return json is null ? null : ParsedCron.GetOrAdd(json, j => CronScaler.Parse(j, out _));
    }

    /// <summary>Parses an <c>autoscaler</c> object with the spec parser's rules; errors carry the <c>autoscaler.…</c> path.</summary>
    public static AutoscalerSpec? Parse(string json, out IReadOnlyList<SpecIssue> errors)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException ex)
        {
            errors = [new SpecIssue("autoscaler", "malformed JSON: " + ex.Message)];
            return null;
        }

        var probe = new JsonObject
        {
            ["name"] = "probe",
            ["containers"] = new JsonArray(new JsonObject { ["script"] = "true" }),
            ["autoscaler"] = node,
        };
        var result = ServiceSpecParser.Parse(probe);
        errors = result.Errors;
        return result.Spec?.Autoscaler;
    }
}
