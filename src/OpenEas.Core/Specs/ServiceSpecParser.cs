using System.Text.Json;
using System.Text.Json.Nodes;
using OpenEas.Contracts;

namespace OpenEas.Core.Specs;

/// <summary>The outcome of parsing a spec: the typed view (only when there are no errors) and every finding.</summary>
public sealed record SpecParseResult(ServiceSpec? Spec, IReadOnlyList<SpecIssue> Errors, IReadOnlyList<SpecIssue> Warnings)
{
    /// <summary>True when the spec parsed without errors (warnings allowed).</summary>
    public bool IsValid => Spec is not null && Errors.Count == 0;
}

/// <summary>
/// Parses and validates an EAS service spec into <see cref="ServiceSpec"/>, collecting every error and warning in
/// one pass, each with its JSON path (<c>containers[0].port</c>, <c>metadata.rpc.keepalive</c>, <c>storage[1].mount_path</c>).
/// Numeric strings (<c>"2"</c>) are accepted for <c>metadata.instance</c>, <c>cpu</c>, <c>memory</c>, <c>gpu</c> and
/// <c>containers[i].port</c> only; <c>rpc.keepalive</c> defaults to 600 000 ms (see remarks).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Unknown keys are warnings, never errors; <see cref="ServiceSpec.Raw"/> keeps the input untouched.</item>
/// <item>Numeric strings (<c>"2"</c>) are accepted for <c>metadata.instance</c>, <c>cpu</c>, <c>memory</c>,
/// <c>gpu</c> and <c>containers[i].port</c>, as EAS users often write them; every other number must be a JSON number.</item>
/// <item>Inside <c>metadata</c>, dotted keys (<c>"rpc.keepalive": 10000</c>) mean the same as nested objects; giving
/// both forms with different values is an error.</item>
/// <item><c>metadata.rpc.keepalive</c> defaults to 600 000 ms: EAS's pages disagree (5 s vs 600 000 ms); OpenEAS uses 600 000 ms.</item>
/// <item>An explicit JSON <c>null</c> is treated like an absent key. Comments and trailing commas are tolerated.</item>
/// <item>Image-only containers (no script, no command) are valid: a container runtime runs the image's own entrypoint.</item>
/// </list>
/// </remarks>
public static partial class ServiceSpecParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        AllowDuplicateProperties = false,
    };

    private static readonly HashSet<string> TopLevelKeys =
    [
        "name", "description", "labels", "token", "generate_token",
        "containers", "storage", "metadata",
        "processor", "processor_path", "processor_entry", "processor_mainclass", "processor_type",
        "model_path", "model_entry", "model_config", "oss_endpoint", "warm_up_data_path",
        "autoscaler", "cronscaler", "features", "cloud", "networking", "runtime", "runtime.enable_crash_block",
        "dockerAuth", "unit", "sinker", "queue", "options", "data_image", "baseimage", "confidential",
    ];

    private static readonly HashSet<string> ProcessorTypes = ["cpp", "java", "python", "csharp"];

    /// <summary>Parses JSON text. Malformed JSON or a non-object top level is one error at path "".</summary>
    public static SpecParseResult Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try
        {
            // Duplicate keys are rejected while parsing, with their position, so the walk never meets one.
            node = JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException ex)
        {
            return Fail("", MalformedMessage(ex));
        }

        return node is JsonObject obj
            ? Walk(obj)
            : Fail("", "a service spec must be a JSON object, got " + SpecReader.Describe(node));
    }

    /// <summary>Parses an already-parsed spec. <see cref="ServiceSpec.Raw"/> is a deep copy, so later edits to <paramref name="obj"/> do not leak in.</summary>
    public static SpecParseResult Parse(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return Walk((JsonObject)obj.DeepClone());
    }

    private static SpecParseResult Fail(string path, string message) =>
        new(null, [new SpecIssue(path, message)], []);

    private static string MalformedMessage(JsonException ex)
    {
        var text = ex.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = text.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                text = text[..cut];
            }
        }

        text = text.Trim();
        if (text.StartsWith("Duplicate property ", StringComparison.Ordinal))
        {
            // "Duplicate property 'port' encountered during deserialization." carries no position; say it plainly.
            text = "duplicate key " + text["Duplicate property ".Length..].Replace(" encountered during deserialization", "", StringComparison.Ordinal).TrimEnd('.')
                + (ex.Path is { Length: > 1 } where ? " in " + where : "");
        }

        return ex.LineNumber is { } line && ex.BytePositionInLine is { } column
            ? $"malformed JSON at line {line + 1}, column {column + 1}: {text}"
            : "malformed JSON: " + text;
    }

    private static SpecParseResult Walk(JsonObject raw)
    {
        var r = new SpecReader();
        r.WarnUnknown(raw, "", TopLevelKeys);

        var (metadata, metadataName) = ReadMetadata(r, raw["metadata"]);
        var name = ReadName(r, raw["name"], metadataName, raw["metadata"] is JsonObject);
        var containers = ReadContainers(r, raw["containers"]);
        var storage = ReadStorage(r, raw["storage"]);
        var processor = ReadProcessor(r, raw);
        var autoscaler = ReadAutoscaler(r, raw["autoscaler"]);
        var queue = ReadQueue(r, raw["queue"]);
        foreach (var key in new[] { "features", "labels", "networking", "cloud", "cronscaler" })
        {
            r.Object(raw[key], key);
        }

        r.String(raw["description"], "description", nonEmpty: false);

        if (raw["containers"] is null && !HasProcessorKeys(raw))
        {
            r.Error("", "a service needs containers[] (image/program deployment) or processor (processor deployment)");
        }

        if (r.Errors.Count > 0 || name is null || metadata is null || queue is null)
        {
            return new SpecParseResult(null, r.Errors, r.Warnings);
        }

        var spec = new ServiceSpec
        {
            Name = name,
            Raw = raw,
            Containers = containers,
            Storage = storage,
            Processor = processor,
            Metadata = metadata,
            Autoscaler = autoscaler,
            Queue = queue,
        };
        return new SpecParseResult(spec, r.Errors, r.Warnings);
    }

    private static string? ReadName(SpecReader r, JsonNode? top, string? fromMetadata, bool hasMetadata)
    {
        var name = r.String(top, "name", nonEmpty: false);
        if (top is not null && name is null)
        {
            return null;
        }

        if (name is not null && fromMetadata is not null && name != fromMetadata)
        {
            r.Error("metadata.name", $"\"{fromMetadata}\" differs from name \"{name}\"");
            return null;
        }

        name ??= fromMetadata;
        if (name is null)
        {
            // A metadata.name of the wrong type was already reported.
            if (!hasMetadata || !r.Errors.Exists(e => e.Path == "metadata.name"))
            {
                r.Error("name", "required (at the top level or as metadata.name)");
            }

            return null;
        }

        if (!SpecNames.IsValidServiceName(name, out var rule))
        {
            r.Error(top is not null ? "name" : "metadata.name", $"{rule}, got \"{name}\"");
            return null;
        }

        return name;
    }

    private static bool HasProcessorKeys(JsonObject raw) =>
        raw["processor"] is not null || raw["processor_path"] is not null || raw["processor_entry"] is not null;

    private static ProcessorSpec? ReadProcessor(SpecReader r, JsonObject raw)
    {
        var name = r.String(raw["processor"], "processor");
        var path = r.String(raw["processor_path"], "processor_path");
        var entry = r.String(raw["processor_entry"], "processor_entry");
        var type = r.String(raw["processor_type"], "processor_type");
        var modelPath = r.String(raw["model_path"], "model_path");
        var modelEntry = r.String(raw["model_entry"], "model_entry");
        var warmUp = r.String(raw["warm_up_data_path"], "warm_up_data_path");
        var modelConfig = raw["model_config"] is JsonObject or JsonArray
            ? raw["model_config"]!.ToJsonString()
            : r.Text(raw["model_config"], "model_config");

        if (!HasProcessorKeys(raw))
        {
            return null;
        }

        var ok = true;
        if (raw["processor"] is not null && raw["processor_path"] is not null)
        {
            r.Error("processor_path", "give processor (a built-in) or processor_path (your own), not both");
            ok = false;
        }

        if (raw["processor_path"] is not null && raw["processor_entry"] is null && raw["processor_mainclass"] is null)
        {
            r.Error("processor_entry", "required with processor_path");
            ok = false;
        }

        if (raw["processor_entry"] is not null && raw["processor_path"] is null)
        {
            r.Error("processor_path", "required with processor_entry");
            ok = false;
        }

        if (type is not null)
        {
            type = type.ToLowerInvariant();
            if (!ProcessorTypes.Contains(type))
            {
                r.Error("processor_type", $"must be one of cpp, java, python, csharp, got \"{raw["processor_type"]}\"");
                ok = false;
            }
        }

        if (raw["processor"] is not null && raw["model_path"] is null)
        {
            r.Error("model_path", "required by a built-in processor (processor)");
            ok = false;
        }

        return ok && (name is not null || path is not null)
            ? new ProcessorSpec
            {
                Name = name,
                Path = path,
                Entry = entry,
                Type = type,
                ModelPath = modelPath,
                ModelEntry = modelEntry,
                ModelConfig = modelConfig,
                WarmUpDataPath = warmUp,
            }
            : null;
    }
}
