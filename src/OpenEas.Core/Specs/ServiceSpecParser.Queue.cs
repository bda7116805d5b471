using System.Text.Json.Nodes;

namespace OpenEas.Core.Specs;

/// <content><c>queue</c>: the limits and delivery rules of an async (queue) service.</content>
public static partial class ServiceSpecParser
{
    private static readonly HashSet<string> QueueKeys = ["max_length", "max_payload_size_kb", "max_delivery", "window", "sink"];
    private static readonly HashSet<string> SinkKeys = ["max_length", "max_payload_size_kb"];

    /// <summary>The typed queue settings (defaults when absent); null when wrong (errors are reported on <paramref name="r"/>).</summary>
    internal static QueueSpec? ReadQueue(SpecReader r, JsonNode? node)
    {
        const string P = "queue";
        var defaults = new QueueSpec();
        if (node is null)
        {
            return defaults;
        }

        var obj = r.Object(node, P);
        if (obj is null)
        {
            return null;
        }

        r.WarnUnknown(obj, P, QueueKeys);
        var errors = r.Errors.Count;
        var maxLength = r.Integer(obj["max_length"], P + ".max_length", 1, 100_000_000, "an integer 1-100000000");
        var payloadKb = r.Integer(obj["max_payload_size_kb"], P + ".max_payload_size_kb", 1, 256 * 1024, "an integer 1-262144 (KB)");
        var maxDelivery = r.Integer(obj["max_delivery"], P + ".max_delivery", 1, 1000, "an integer 1-1000");
        var window = r.Integer(obj["window"], P + ".window", 1, 10_000, "an integer 1-10000");
        long? sinkLength = null;
        long? sinkPayloadKb = null;
        if (r.Object(obj["sink"], P + ".sink") is { } sink)
        {
            r.WarnUnknown(sink, P + ".sink", SinkKeys);
            sinkLength = r.Integer(sink["max_length"], P + ".sink.max_length", 1, 100_000_000, "an integer 1-100000000");
            sinkPayloadKb = r.Integer(sink["max_payload_size_kb"], P + ".sink.max_payload_size_kb", 1, 256 * 1024, "an integer 1-262144 (KB)");
        }

        if (r.Errors.Count > errors)
        {
            return null;
        }

        return new QueueSpec
        {
            MaxLength = maxLength ?? defaults.MaxLength,
            MaxPayloadBytes = (int)((payloadKb ?? defaults.MaxPayloadBytes / 1024) * 1024),
            MaxDelivery = (int)(maxDelivery ?? defaults.MaxDelivery),
            Window = (int)(window ?? defaults.Window),
            SinkMaxLength = sinkLength ?? defaults.SinkMaxLength,
            SinkMaxPayloadBytes = (int)((sinkPayloadKb ?? defaults.SinkMaxPayloadBytes / 1024) * 1024),
        };
    }
}
