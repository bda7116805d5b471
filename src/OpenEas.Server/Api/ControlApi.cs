using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Metrics;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Routing;
using OpenEas.Core.Runtime;

namespace OpenEas.Server.Api;

/// <summary>The control API under <c>/api/v2</c>, following EAS's REST routes (without the region segment).</summary>
internal static class ControlApi
{
    public static void Map(IEndpointRouteBuilder app, string adminToken)
    {
        var api = app.MapGroup("/api/v2");
        api.AddEndpointFilter(async (context, next) =>
        {
            if (!AdminToken.Matches(adminToken, context.HttpContext.Request.Headers.Authorization))
            {
                return Problems.Create(401, ErrorCodes.Unauthorized,
                    "missing or wrong admin token: send 'Authorization: Bearer <token>' (EAS_ADMIN_TOKEN, or admin_token in the data dir)");
            }

            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (ControlException ex)
            {
                return Problems.From(ex);
            }
        });

        AlertApi.Map(api);
        ResourceApi.Map(api);
        ExamplesApi.Map(api);
        ReleaseApi.Map(api);

        api.MapPost("/services", async (HttpRequest request, ServiceManager services) =>
        {
            var body = await ReadBodyAsync(request).ConfigureAwait(false);
            var created = services.Create(body);
            return Results.Json(created, EasJsonContext.Default.ServiceDescription, statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/services", (ServiceManager services) =>
            Results.Json(services.List(), EasJsonContext.Default.ListServiceDescription));

        api.MapGet("/services/{name}", (string name, ServiceManager services) =>
            Results.Json(services.Describe(name), EasJsonContext.Default.ServiceDescription));

        api.MapPut("/services/{name}", async (string name, HttpRequest request, ServiceManager services) =>
        {
            var body = await ReadBodyAsync(request).ConfigureAwait(false);
            return Results.Json(services.Modify(name, body), EasJsonContext.Default.ServiceChangeResult);
        });

        api.MapDelete("/services/{name}", (string name, ServiceManager services) =>
            Results.Json(services.Delete(name), EasJsonContext.Default.ServiceDescription, statusCode: StatusCodes.Status202Accepted));

        api.MapPut("/services/{name}/start", (string name, ServiceManager services) =>
            Results.Json(services.Start(name), EasJsonContext.Default.ServiceChangeResult));

        api.MapPut("/services/{name}/stop", (string name, ServiceManager services) =>
            Results.Json(services.Stop(name), EasJsonContext.Default.ServiceChangeResult));

        api.MapPut("/services/{name}/scale", async (string name, HttpRequest request, ServiceManager services) =>
        {
            var body = await ReadBodyAsync(request).ConfigureAwait(false);
            var scale = Deserialize(body, EasJsonContext.Default.ScaleRequest, "instance");
            if (!body.Contains("\"instance\"", StringComparison.Ordinal))
            {
                throw new ControlException(400, ErrorCodes.BadRequest, "the body must name the instance count: {\"instance\": 3}",
                    [new SpecIssue("instance", "required")]);
            }

            return Results.Json(services.Scale(name, scale.Instance), EasJsonContext.Default.ServiceChangeResult);
        });

        api.MapPut("/services/{name}/version", async (string name, HttpRequest request, ServiceManager services) =>
        {
            var body = await ReadBodyAsync(request).ConfigureAwait(false);
            var change = Deserialize(body, EasJsonContext.Default.VersionSwitchRequest, "version");
            if (!body.Contains("\"version\"", StringComparison.Ordinal))
            {
                throw new ControlException(400, ErrorCodes.BadRequest, "the body must name the version: {\"version\": 2}",
                    [new SpecIssue("version", "required")]);
            }

            return Results.Json(services.SwitchVersion(name, change.Version), EasJsonContext.Default.ServiceChangeResult);
        });

        api.MapPost("/services/{name}/token", async (string name, HttpRequest request, ServiceManager services, Reconciler reconciler) =>
        {
            var body = await ReadBodyAsync(request).ConfigureAwait(false);
            var grace = TimeSpan.FromHours(1);
            if (!string.IsNullOrWhiteSpace(body)
                && Deserialize(body, EasJsonContext.Default.TokenRotateRequest, "graceSeconds").GraceSeconds is { } seconds)
            {
                grace = TimeSpan.FromSeconds(seconds);
            }

            var rotated = services.RotateToken(name, grace);
            // Publish the new token to the gateway before answering, so it works as soon as the caller has it.
            await reconciler.ReconcileNowAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            return Results.Json(rotated, EasJsonContext.Default.ServiceDescription);
        });

        api.MapGet("/services/{name}/versions", (string name, ServiceManager services) =>
            Results.Json(services.Versions(name), EasJsonContext.Default.ListServiceVersionInfo));

        api.MapGet("/services/{name}/instances", (string name, ServiceManager services) =>
            Results.Json(services.Instances(name), EasJsonContext.Default.ListInstanceInfo));

        api.MapDelete("/services/{name}/instances", (string name, string? names, ServiceManager services) =>
        {
            var list = (names ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (list.Length == 0)
            {
                throw new ControlException(400, ErrorCodes.BadRequest, "name the instances to restart: ?names=a,b");
            }

            services.RestartInstances(name, list);
            return Results.Json(services.Instances(name), EasJsonContext.Default.ListInstanceInfo);
        });

        api.MapGet("/services/{name}/events", (string name, int? limit, ServiceManager services) =>
            Results.Json(services.Events(name, limit ?? 100), EasJsonContext.Default.ListServiceEvent));

        api.MapPost("/services/{name}/debug", async (string name, HttpRequest request, ServiceManager services, DebugCaller caller) =>
        {
            var token = services.Describe(name).AccessToken;
            var body = await ReadBodyAsync(request).ConfigureAwait(false);
            var call = body.Length == 0 ? new DebugRequest() : Deserialize(body, EasJsonContext.Default.DebugRequest, "method");
            return Results.Json(await caller.CallAsync(name, token, call, request.HttpContext.RequestAborted).ConfigureAwait(false),
                EasJsonContext.Default.DebugResponse);
        });

        api.MapGet("/services/{name}/stats", (string name, ServiceManager services, RouteTable routes, MetricsHub metrics) =>
        {
            services.Describe(name);
            var route = routes.Find(name);
            var (requests, success, clientErrors, serverErrors, rejected) = metrics.Totals(name);
            return Results.Json(new ServiceStats
            {
                Requests = requests,
                Success = success,
                ClientErrors = clientErrors,
                ServerErrors = serverErrors,
                Rejected = rejected,
                InFlight = route?.Endpoints.Sum(e => e.InFlight) ?? 0,
                Waiting = route?.Gate.Waiting ?? 0,
            }, EasJsonContext.Default.ServiceStats);
        });

        api.MapGet("/services/{name}/metrics", (string name, string? instance, string? from, string? to, int? step,
            ServiceManager services, MetricsHub metrics, TimeProvider time) =>
        {
            services.Describe(name);
            var now = time.GetUtcNow();
            var end = ParseTime(to, "to") ?? now;
            var start = ParseTime(from, "from") ?? end - TimeSpan.FromMinutes(5);
            if (start >= end)
            {
                throw new ControlException(400, ErrorCodes.BadRequest, "from must be before to", [new SpecIssue("from", "must be before to")]);
            }

            var resolution = step ?? (end - start > MetricsHub.SecondRetention ? 60 : 1);
            if (resolution is < 1 or > 86_400)
            {
                throw new ControlException(400, ErrorCodes.BadRequest, "step must be 1-86400 seconds", [new SpecIssue("step", "must be 1-86400 seconds")]);
            }

            return Results.Json(metrics.Query(name, instance, start, end, resolution), EasJsonContext.Default.MetricSeries);
        });

        JobsApi.Map(api);

        api.MapGet("/metrics/services", (ServiceManager services, MetricsHub metrics) =>
            Results.Json(services.List().Select(s => new MetricSeries
            {
                Service = s.ServiceName,
                Step = 1,
                Points = metrics.Latest(s.ServiceName) is { } p ? [p] : [],
            }).ToList(), EasJsonContext.Default.ListMetricSeries));

        api.MapGet("/services/{name}/autoscaler", (string name, ServiceManager services) => AutoscalerAnswer(services, name));

        api.MapMethods("/services/{name}/autoscaler", ["PUT", "POST"], async (string name, HttpRequest request, ServiceManager services) =>
        {
            services.SetAutoscaler(name, await ReadBodyAsync(request).ConfigureAwait(false));
            return AutoscalerAnswer(services, name);
        });

        api.MapDelete("/services/{name}/autoscaler", (string name, ServiceManager services) =>
        {
            services.SetAutoscaler(name, null);
            return AutoscalerAnswer(services, name);
        });

        api.MapGet("/services/{name}/cronscaler", (string name, ServiceManager services) => CronScalerAnswer(services, name));

        api.MapMethods("/services/{name}/cronscaler", ["PUT", "POST"], async (string name, HttpRequest request, ServiceManager services) =>
        {
            services.SetCronScaler(name, await ReadBodyAsync(request).ConfigureAwait(false));
            return CronScalerAnswer(services, name);
        });

        api.MapDelete("/services/{name}/cronscaler", (string name, ServiceManager services) =>
        {
            services.SetCronScaler(name, null);
            return CronScalerAnswer(services, name);
        });

        api.MapGet("/services/{name}/logs", async (string name, string? instance, int? tail, bool? follow, HttpContext context,
            ServiceManager services, Reconciler reconciler, IInstanceRuntime runtime, TimeProvider time) =>
        {
            var instances = services.Instances(name);
            var files = new List<(string, string)>();
            foreach (var i in instances)
            {
                if ((instance is null || i.InstanceName == instance) && reconciler.InstanceDirectory(name, i.InstanceName) is { } dir)
                {
                    files.Add((i.InstanceName, runtime.LogPath(dir)));
                }
            }

            if (instance is not null && files.Count == 0)
            {
                throw new ControlException(404, ErrorCodes.InstanceNotFound, $"service \"{name}\" has no instance \"{instance}\"");
            }

            try
            {
                await InstanceLogs.WriteAsync(context.Response, files, Math.Clamp(tail ?? 200, 0, 100_000), follow ?? false, time,
                    context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The follower went away.
            }

            return Results.Empty;
        });
    }

    private static IResult CronScalerAnswer(ServiceManager services, string name) => SettingAnswer("cronscaler", services.GetCronScaler(name));

    private static IResult AutoscalerAnswer(ServiceManager services, string name) => SettingAnswer("autoscaler", services.GetAutoscaler(name));

    /// <summary><c>{"source": "api"|"spec"|"none", "{key}": {...}|null}</c>.</summary>
    private static IResult SettingAnswer(string key, (System.Text.Json.Nodes.JsonNode? Value, string Source) setting) =>
        Results.Text(new System.Text.Json.Nodes.JsonObject { ["source"] = setting.Source, [key] = setting.Value }.ToJsonString(), "application/json");

    /// <summary>A time given as Unix seconds, or as an ISO 8601 instant, or a negative offset like <c>-10m</c> from now.</summary>
    private static DateTimeOffset? ParseTime(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.StartsWith('-') && value.Length > 2 && "smhd".Contains(value[^1], StringComparison.Ordinal)
            && double.TryParse(value[1..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var amount))
        {
            var unit = value[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 86_400 };
            return DateTimeOffset.UtcNow - TimeSpan.FromSeconds(amount * unit);
        }

        if (long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var unix))
        {
            return DateTimeOffset.FromUnixTimeSeconds(unix);
        }

        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        throw new ControlException(400, ErrorCodes.BadRequest, $"{name}: \"{value}\" is not Unix seconds or an ISO 8601 time",
            [new SpecIssue(name, "Unix seconds or an ISO 8601 time")]);
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private static T Deserialize<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string field)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type)
                ?? throw new ControlException(400, ErrorCodes.BadRequest, $"the body must be a JSON object with \"{field}\"");
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? field : ex.Path.TrimStart('$', '.');
            throw new ControlException(400, ErrorCodes.BadRequest, $"{path}: {ex.Message}", [new SpecIssue(path, "invalid value: " + ex.Message)]);
        }
    }
}
