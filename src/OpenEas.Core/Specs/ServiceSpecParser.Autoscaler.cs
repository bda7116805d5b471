using System.Text.Json.Nodes;

namespace OpenEas.Core.Specs;

/// <content><c>autoscaler</c>: bounds, metrics and targets, and the scale-up/down behaviour.</content>
public static partial class ServiceSpecParser
{
    private static readonly HashSet<string> AutoscalerKeys = ["min", "max", "scaleStrategies", "strategies", "behavior"];

    /// <summary>The typed autoscaler, or null when absent or wrong (errors are reported on <paramref name="r"/>).</summary>
    internal static AutoscalerSpec? ReadAutoscaler(SpecReader r, JsonNode? node)
    {
        const string P = "autoscaler";
        var obj = r.Object(node, P);
        if (obj is null)
        {
            return null;
        }

        r.WarnUnknown(obj, P, AutoscalerKeys);
        var errors = r.Errors.Count;
        var defaults = new AutoscalerSpec();
        var min = r.Integer(obj["min"], P + ".min", 0, 1000, "an integer 0-1000");
        var max = r.Integer(obj["max"], P + ".max", 1, 1000, "an integer 1-1000");
        if ((min ?? defaults.Min) > (max ?? defaults.Max))
        {
            r.Error(P + ".min", $"must not exceed autoscaler.max ({max ?? defaults.Max}), got {min ?? defaults.Min}");
        }

        var targets = new List<ScaleTarget>();
        if (r.Array(obj["scaleStrategies"], P + ".scaleStrategies") is { } strategies)
        {
            for (var i = 0; i < strategies.Count; i++)
            {
                var path = SpecReader.Index(P + ".scaleStrategies", i);
                if (r.Object(strategies[i], path) is not { } s)
                {
                    continue;
                }

                var metric = r.String(s["metricName"], path + ".metricName");
                var threshold = r.Number(s["threshold"], path + ".threshold", 0, false, "a number > 0");
                if (s["metricName"] is null)
                {
                    r.Error(path + ".metricName", "required");
                }

                if (s["threshold"] is null)
                {
                    r.Error(path + ".threshold", "required");
                }

                AddTarget(r, targets, metric, threshold, path + ".metricName");
            }
        }

        // The older EAS form: "strategies": {"qps": 10, "cpu": 80}.
        if (r.Object(obj["strategies"], P + ".strategies") is { } legacy)
        {
            foreach (var (metric, value) in legacy)
            {
                var threshold = r.Number(value, $"{P}.strategies.{metric}", 0, false, "a number > 0");
                AddTarget(r, targets, metric, threshold, $"{P}.strategies.{metric}");
            }
        }

        if (obj["scaleStrategies"] is null && obj["strategies"] is null)
        {
            r.Error(P + ".scaleStrategies", "required: at least one {\"metricName\": \"qps\"|\"concurrency\"|\"cpu\"|\"backlog\", \"threshold\": n}");
        }

        double? up = null, down = null, grace = null, window = null;
        long? activation = null;
        if (r.Object(obj["behavior"], P + ".behavior") is { } behavior)
        {
            up = Window(r, behavior["scaleUp"], P + ".behavior.scaleUp");
            // OpenEAS: the averaging window (Knative's "window"); the panic window is a tenth of it.
            window = r.Number(behavior["stableWindowSeconds"], P + ".behavior.stableWindowSeconds", 6, true, "a number of seconds 6-3600");
            if (window > 3600)
            {
                r.Error(P + ".behavior.stableWindowSeconds", $"must be 6-3600 seconds, got {window}");
            }

            down = Window(r, behavior["scaleDown"], P + ".behavior.scaleDown");
            if (r.Object(behavior["onZero"], P + ".behavior.onZero") is { } zero)
            {
                grace = r.Number(zero["scaleDownGracePeriodSeconds"], P + ".behavior.onZero.scaleDownGracePeriodSeconds", 0, true, "a number of seconds >= 0");
                activation = r.Integer(zero["scaleUpActivationReplicas"], P + ".behavior.onZero.scaleUpActivationReplicas", 1, 1000, "an integer 1-1000");
            }
        }

        if (r.Errors.Count > errors)
        {
            return null;
        }

        return defaults with
        {
            Min = (int)(min ?? defaults.Min),
            Max = (int)(max ?? defaults.Max),
            Targets = targets,
            ScaleUpStabilizationSeconds = up ?? defaults.ScaleUpStabilizationSeconds,
            ScaleDownStabilizationSeconds = down ?? defaults.ScaleDownStabilizationSeconds,
            ZeroGracePeriodSeconds = grace ?? defaults.ZeroGracePeriodSeconds,
            ActivationReplicas = (int)(activation ?? defaults.ActivationReplicas),
            StableWindowSeconds = window ?? defaults.StableWindowSeconds,
            PanicWindowSeconds = window is { } w ? Math.Max(1, Math.Round(w / 10)) : defaults.PanicWindowSeconds,
        };
    }

    private static void AddTarget(SpecReader r, List<ScaleTarget> targets, string? metric, double? threshold, string path)
    {
        if (metric is null || threshold is null)
        {
            return;
        }

        var name = metric.Trim().ToLowerInvariant();
        if (!AutoscalerSpec.Metrics.Contains(name))
        {
            r.Error(path, $"unknown metric \"{metric}\" (one of {string.Join(", ", AutoscalerSpec.Metrics)})");
            return;
        }

        targets.Add(new ScaleTarget(name, threshold.Value));
    }

    private static double? Window(SpecReader r, JsonNode? node, string path) =>
        r.Object(node, path) is { } obj
            ? r.Number(obj["stabilizationWindowSeconds"], path + ".stabilizationWindowSeconds", 0, true, "a number of seconds >= 0")
            : null;
}
