using System.Text.RegularExpressions;
using System.Text.Json.Nodes;

namespace OpenEas.Core.Specs;

/// <content><c>metadata</c>: resources, rpc, rolling strategy and the <c>eas.*</c> switches.</content>
public static partial class ServiceSpecParser
{
    private static readonly HashSet<string> MetadataKeys =
    [
        "name", "instance", "cpu", "memory", "gpu", "gpu_memory", "gpu_core_percentage", "qos", "disk", "shm_size",
        "resource", "resource_burstable", "resource_fallback", "group", "type", "workspace_id", "enable_webservice", "enable_grpc",
        "rpc", "rolling_strategy", "eas", "anonymous",
    ];

    private static readonly HashSet<string> RpcKeys =
    [
        "keepalive", "batching", "max_batch_size", "max_batch_timeout", "max_queue_size",
        "worker_threads", "io_threads", "rate_limit", "max_concurrency", "max_body_size",
    ];

    private static readonly HashSet<string> RollingKeys = ["max_surge", "max_unavailable", "batches", "pause_seconds"];
    private static readonly HashSet<string> EasKeys = ["termination_grace_period"];

    private const string RollingExpected = "a count (an integer >= 0) or a percentage like \"25%\"";

    private static (MetadataSpec? Metadata, string? Name) ReadMetadata(SpecReader r, JsonNode? node)
    {
        if (node is null)
        {
            return (new MetadataSpec(), null);
        }

        var raw = r.Object(node, "metadata");
        if (raw is null)
        {
            return (null, null);
        }

        var errors = r.Errors.Count;
        var md = NormalizeMetadata(r, raw);
        r.WarnUnknown(md, "metadata", MetadataKeys);

        var name = r.String(md["name"], "metadata.name", nonEmpty: false);
        var instance = r.Integer(md["instance"], "metadata.instance", 0, 1000, "an integer 0-1000", allowString: true);
        var cpu = r.Number(md["cpu"], "metadata.cpu", 0, false, "a number of cores > 0", allowString: true);
        var memory = r.Integer(md["memory"], "metadata.memory", 1, 1L << 40, "an integer number of MB > 0", allowString: true);
        var gpu = r.Integer(md["gpu"], "metadata.gpu", 0, 1024, "an integer >= 0", allowString: true);
        var resource = r.String(md["resource"], "metadata.resource");
        var group = r.String(md["group"], "metadata.group");
        var webservice = r.Bool(md["enable_webservice"], "metadata.enable_webservice");
        var burstable = r.Bool(md["resource_burstable"], "metadata.resource_burstable");
        // One group name, or a list of them.
        List<string>? fallback = md["resource_fallback"] is JsonValue one
            ? r.String(one, "metadata.resource_fallback") is { } single ? [single] : null
            : r.StringList(md["resource_fallback"], "metadata.resource_fallback");
        var anonymous = r.Bool(md["anonymous"], "metadata.anonymous");

        var type = r.String(md["type"], "metadata.type", nonEmpty: false);
        if (type is { Length: 0 })
        {
            type = null;
        }
        else if (type is not null)
        {
            if (type.Equals("Async", StringComparison.OrdinalIgnoreCase))
            {
                type = "Async";
            }
            else
            {
                r.Error("metadata.type", $"must be \"Async\" (a queue service) or absent, got \"{type}\"");
            }
        }

        var rpc = ReadRpc(r, md["rpc"]);
        var rolling = ReadRolling(r, md["rolling_strategy"]);

        double? grace = null;
        var eas = r.Object(md["eas"], "metadata.eas");
        if (eas is not null)
        {
            r.WarnUnknown(eas, "metadata.eas", EasKeys);
            grace = r.Number(eas["termination_grace_period"], "metadata.eas.termination_grace_period", 0, true, "a number of seconds >= 0");
        }

        if (r.Errors.Count > errors || rpc is null || rolling is null)
        {
            return (null, name);
        }

        var defaults = new MetadataSpec();
        var spec = new MetadataSpec
        {
            Instance = (int)(instance ?? defaults.Instance),
            Cpu = cpu ?? defaults.Cpu,
            Memory = memory ?? defaults.Memory,
            Gpu = (int)(gpu ?? defaults.Gpu),
            Resource = resource ?? defaults.Resource,
            Group = group,
            Type = type,
            Rpc = rpc,
            RollingStrategy = rolling,
            TerminationGracePeriodSeconds = grace ?? defaults.TerminationGracePeriodSeconds,
            EnableWebservice = webservice ?? false,
            ResourceBurstable = burstable ?? false,
            ResourceFallback = (IReadOnlyList<string>?)fallback ?? [],
            Anonymous = anonymous ?? false,
        };
        return (spec, name);
    }

    /// <summary>
    /// A copy of <c>metadata</c> with dotted keys (<c>"rpc.keepalive": 1</c>) expanded into nested objects,
    /// so the rest of the walk sees one shape. The raw spec is not changed.
    /// </summary>
    internal static JsonObject NormalizeMetadata(SpecReader r, JsonObject metadata)
    {
        var result = new JsonObject();
        foreach (var (key, value) in metadata)
        {
            if (!key.Contains('.', StringComparison.Ordinal))
            {
                result[key] = value?.DeepClone();
            }
        }

        foreach (var (key, value) in metadata)
        {
            if (!key.Contains('.', StringComparison.Ordinal))
            {
                continue;
            }

            var segments = key.Split('.');
            if (segments.Any(s => s.Length == 0))
            {
                r.Error("metadata." + key, "a dotted key needs a name between every two dots");
                continue;
            }

            var target = result;
            var path = "metadata";
            var blocked = false;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                path = SpecReader.Join(path, segments[i]);
                switch (target[segments[i]])
                {
                    case JsonObject child:
                        target = child;
                        break;
                    case null:
                        var created = new JsonObject();
                        target[segments[i]] = created;
                        target = created;
                        break;
                    case var other:
                        r.Error(path, $"must be an object (the dotted key \"{key}\" nests under it), got {SpecReader.Describe(other)}");
                        blocked = true;
                        break;
                }

                if (blocked)
                {
                    break;
                }
            }

            if (blocked)
            {
                continue;
            }

            var last = segments[^1];
            if (target.ContainsKey(last) && !JsonNode.DeepEquals(target[last], value))
            {
                r.Error("metadata." + key, $"given both as \"{key}\" and as a nested object, with different values");
                continue;
            }

            target[last] = value?.DeepClone();
        }

        return result;
    }

    private static RpcSpec? ReadRpc(SpecReader r, JsonNode? node)
    {
        var defaults = new RpcSpec();
        if (node is null)
        {
            return defaults;
        }

        var rpc = r.Object(node, "metadata.rpc");
        if (rpc is null)
        {
            return null;
        }

        r.WarnUnknown(rpc, "metadata.rpc", RpcKeys);
        const string P = "metadata.rpc.";
        var keepalive = r.Integer(rpc["keepalive"], P + "keepalive", 1, int.MaxValue, "an integer number of ms > 0");
        // "auto" (OpenEAS): the processor measures whether batching pays and how large batches should be.
        var batchingAuto = rpc["batching"] is JsonValue v && v.TryGetValue<string>(out var mode) && mode == "auto";
        bool? batching;
        if (batchingAuto)
        {
            batching = true;
        }
        else if (rpc["batching"] is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            r.Error(P + "batching", $"must be true, false or \"auto\", got \"{text}\"");
            batching = null;
        }
        else
        {
            batching = r.Bool(rpc["batching"], P + "batching");
        }
        var maxBatchSize = r.Integer(rpc["max_batch_size"], P + "max_batch_size", 1, int.MaxValue, "an integer >= 1");
        var maxBatchTimeout = r.Integer(rpc["max_batch_timeout"], P + "max_batch_timeout", 0, int.MaxValue, "an integer number of ms >= 0");
        var maxQueueSize = r.Integer(rpc["max_queue_size"], P + "max_queue_size", 1, int.MaxValue, "an integer >= 1");
        var workerThreads = r.Integer(rpc["worker_threads"], P + "worker_threads", 1, 1024, "an integer 1-1024");
        var ioThreads = r.Integer(rpc["io_threads"], P + "io_threads", 1, 1024, "an integer 1-1024");
        var rateLimit = r.Integer(rpc["rate_limit"], P + "rate_limit", 0, int.MaxValue, "an integer >= 0 (0 = off)");
        var maxConcurrency = r.Integer(rpc["max_concurrency"], P + "max_concurrency", 0, 100_000, "an integer 0-100000 (0 = unlimited)");
        var maxBodySize = r.Integer(rpc["max_body_size"], P + "max_body_size", 1, RpcSpec.MaxBodySizeCeiling,
            $"an integer number of bytes 1-{RpcSpec.MaxBodySizeCeiling}");

        return new RpcSpec
        {
            KeepaliveMs = (int)(keepalive ?? defaults.KeepaliveMs),
            Batching = batching ?? defaults.Batching,
            BatchingAuto = batchingAuto,
            MaxBatchSize = (int)(maxBatchSize ?? defaults.MaxBatchSize),
            MaxBatchTimeoutMs = (int)(maxBatchTimeout ?? defaults.MaxBatchTimeoutMs),
            MaxQueueSize = (int)(maxQueueSize ?? defaults.MaxQueueSize),
            WorkerThreads = (int)(workerThreads ?? defaults.WorkerThreads),
            IoThreads = (int)(ioThreads ?? defaults.IoThreads),
            RateLimit = (int)(rateLimit ?? defaults.RateLimit),
            MaxConcurrency = (int)(maxConcurrency ?? defaults.MaxConcurrency),
            MaxBodySize = maxBodySize ?? defaults.MaxBodySize,
        };
    }

    private static RollingStrategy? ReadRolling(SpecReader r, JsonNode? node)
    {
        var defaults = new RollingStrategy();
        if (node is null)
        {
            return defaults;
        }

        var obj = r.Object(node, "metadata.rolling_strategy");
        if (obj is null)
        {
            return null;
        }

        r.WarnUnknown(obj, "metadata.rolling_strategy", RollingKeys);
        var surge = RollingAmount(r, obj["max_surge"], "metadata.rolling_strategy.max_surge");
        var unavailable = RollingAmount(r, obj["max_unavailable"], "metadata.rolling_strategy.max_unavailable");
        var batches = r.Integer(obj["batches"], "metadata.rolling_strategy.batches", 1, 1000, "an integer 1-1000");
        var pause = r.Number(obj["pause_seconds"], "metadata.rolling_strategy.pause_seconds", 0, true, "a number of seconds >= 0");
        return new RollingStrategy
        {
            MaxSurge = surge ?? defaults.MaxSurge,
            MaxUnavailable = unavailable ?? defaults.MaxUnavailable,
            Batches = (int)(batches ?? 1),
            PauseSeconds = pause ?? 0,
        };
    }

    /// <summary>A count (<c>2</c>, <c>"2"</c>) or a whole percentage 0-100 (<c>"25%"</c>), returned as the string <see cref="RollingStrategy"/> keeps.</summary>
    private static string? RollingAmount(SpecReader r, JsonNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue && node.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            var text = node.GetValue<string>().Trim();
            var match = RollingPattern().Match(text);
            if (match.Success && (!match.Groups["pct"].Success || int.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) <= 100))
            {
                return text;
            }

            r.Error(path, "must be " + RollingExpected + (match.Success ? " (at most 100%)" : "") + ", got " + SpecReader.Describe(node));
            return null;
        }

        var count = r.Integer(node, path, 0, 1000, RollingExpected);
        return count?.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(?<n>\d{1,4})(?<pct>%)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RollingPattern();
}
