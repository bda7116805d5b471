using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using OpenEas.Contracts;

namespace OpenEas.Client;

/// <summary>
/// The OpenEAS SDK: the control API (<c>/api/v2</c>) and service calls (<c>/api/predict</c>).
/// The <c>eas</c> CLI uses nothing else.
/// </summary>
public sealed class EasClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="endpoint">Server address, e.g. <c>http://127.0.0.1:8080</c>.</param>
    /// <param name="adminToken">The admin token for the control API (Bearer).</param>
    /// <param name="http">An HttpClient to use; one is created (and owned) when null.</param>
    public EasClient(string endpoint, string? adminToken, HttpClient? http = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        if (!endpoint.Contains("://", StringComparison.Ordinal))
        {
            endpoint = "http://" + endpoint;
        }

        Endpoint = new Uri(endpoint.TrimEnd('/') + "/");
        AdminToken = adminToken;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The server address, ending in '/'.</summary>
    public Uri Endpoint { get; }

    public string? AdminToken { get; }

    /// <summary>Timeout of one control-API call (not of log following or predict).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    // ---- services -------------------------------------------------------------------------

    /// <summary>Creates a service from an EAS JSON spec (text).</summary>
    public Task<ServiceDescription> CreateServiceAsync(string specJson, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/v2/services", Json(specJson), EasJsonContext.Default.ServiceDescription, ct);

    public Task<List<ServiceDescription>> ListServicesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/v2/services", null, EasJsonContext.Default.ListServiceDescription, ct);

    public Task<ServiceDescription> DescribeServiceAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}", null, EasJsonContext.Default.ServiceDescription, ct);

    /// <summary>
    /// Merges a partial (or whole) spec into the service's current spec. A change of only
    /// <c>metadata.instance</c> scales; anything else makes a new version and rolls to it.
    /// </summary>
    public Task<ServiceChangeResult> ModifyServiceAsync(string name, string partialSpecJson, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}", Json(partialSpecJson), EasJsonContext.Default.ServiceChangeResult, ct);

    /// <summary>Sets the instance count without making a new version.</summary>
    public Task<ServiceChangeResult> ScaleServiceAsync(string name, int instances, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/scale",
            Json(JsonSerializer.Serialize(new ScaleRequest { Instance = instances }, EasJsonContext.Default.ScaleRequest)),
            EasJsonContext.Default.ServiceChangeResult, ct);

    public Task DeleteServiceAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/v2/services/{Esc(name)}", null, ct);

    public Task<ServiceChangeResult> StartServiceAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/start", null, EasJsonContext.Default.ServiceChangeResult, ct);

    public Task<ServiceChangeResult> StopServiceAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/stop", null, EasJsonContext.Default.ServiceChangeResult, ct);

    public Task<List<ServiceVersionInfo>> ListVersionsAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/versions", null, EasJsonContext.Default.ListServiceVersionInfo, ct);

    /// <summary>Rolls the service to an existing version (rollback or roll forward).</summary>
    public Task<ServiceChangeResult> SwitchVersionAsync(string name, int version, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/version",
            Json(JsonSerializer.Serialize(new VersionSwitchRequest { Version = version }, EasJsonContext.Default.VersionSwitchRequest)),
            EasJsonContext.Default.ServiceChangeResult, ct);

    /// <summary>
    /// Gives the service a new access token (in the answer's <c>AccessToken</c>); the old one keeps working for
    /// <paramref name="grace"/> (server default: 1 hour; <see cref="TimeSpan.Zero"/> ends it at once).
    /// </summary>
    public Task<ServiceDescription> RotateTokenAsync(string name, TimeSpan? grace = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/v2/services/{Esc(name)}/token",
            grace is { } g
                ? Json(JsonSerializer.Serialize(new TokenRotateRequest { GraceSeconds = (int)Math.Clamp(Math.Ceiling(g.TotalSeconds), -1, int.MaxValue) },
                    EasJsonContext.Default.TokenRotateRequest))
                : null,
            EasJsonContext.Default.ServiceDescription, ct);

    public Task<List<InstanceInfo>> ListInstancesAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/instances", null, EasJsonContext.Default.ListInstanceInfo, ct);

    /// <summary>Deletes (and so restarts) the named instances, as <c>eas dw</c> does.</summary>
    public Task RestartInstancesAsync(string name, IEnumerable<string> instances, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/v2/services/{Esc(name)}/instances?names={Uri.EscapeDataString(string.Join(',', instances))}", null, ct);

    public Task<List<ServiceEvent>> ListEventsAsync(string name, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/events" + (limit is { } l ? $"?limit={l}" : ""), null,
            EasJsonContext.Default.ListServiceEvent, ct);

    /// <summary>Reads the last <paramref name="tail"/> log lines of an instance (or of every instance when null).</summary>
    public async Task<string> GetLogsAsync(string name, string? instance = null, int tail = 200, CancellationToken ct = default)
    {
        using var request = NewRequest(HttpMethod.Get, LogsPath(name, instance, tail, follow: false), null);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(RequestTimeout);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cts.Token).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
    }

    /// <summary>Streams log lines as they are written, until cancelled.</summary>
    public async IAsyncEnumerable<string> FollowLogsAsync(string name, string? instance = null, int tail = 50,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = NewRequest(HttpMethod.Get, LogsPath(name, instance, tail, follow: true), null);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), Encoding.UTF8);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            yield return line;
        }
    }

    /// <summary>Makes one call to the service through the gateway (server side) and reports what it answered and how fast.</summary>
    public Task<DebugResponse> DebugAsync(string name, DebugRequest call, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/v2/services/{Esc(name)}/debug",
            Json(JsonSerializer.Serialize(call, EasJsonContext.Default.DebugRequest)), EasJsonContext.Default.DebugResponse, ct);

    /// <summary>The gateway's counters for a service and its load right now.</summary>
    public Task<ServiceStats> GetStatsAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/stats", null, EasJsonContext.Default.ServiceStats, ct);

    /// <summary>
    /// A service's load (or one instance's) in [<paramref name="from"/>, <paramref name="to"/>): points of 1 s
    /// (kept an hour) or 1 min (kept 7 days), summed to <paramref name="step"/> seconds when given.
    /// Server defaults: the last 5 minutes up to now, 1 s points (1 min past an hour).
    /// </summary>
    public Task<MetricSeries> GetMetricsAsync(string name, string? instance = null, DateTimeOffset? from = null,
        DateTimeOffset? to = null, int? step = null, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(instance))
        {
            query.Add("instance=" + Uri.EscapeDataString(instance));
        }

        if (from is { } f)
        {
            query.Add("from=" + Uri.EscapeDataString(f.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        if (to is { } t)
        {
            query.Add("to=" + Uri.EscapeDataString(t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        if (step is { } s)
        {
            query.Add("step=" + s.ToString(CultureInfo.InvariantCulture));
        }

        return SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/metrics" + (query.Count > 0 ? "?" + string.Join('&', query) : ""),
            null, EasJsonContext.Default.MetricSeries, ct);
    }

    /// <summary>Every service's newest closed second (a series of one point, or none before the first second closes).</summary>
    public Task<List<MetricSeries>> GetLatestMetricsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/v2/metrics/services", null, EasJsonContext.Default.ListMetricSeries, ct);

    /// <summary>The autoscaler in force: <c>{"source": "api"|"spec"|"none", "autoscaler": {...}|null}</c>.</summary>
    public async Task<JsonObject> GetAutoscalerAsync(string name, CancellationToken ct = default) =>
        await SendJsonObjectAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/autoscaler", null, ct).ConfigureAwait(false);

    /// <summary>Sets a service's autoscaler (EAS shape) without making a new version.</summary>
    public async Task<JsonObject> SetAutoscalerAsync(string name, string autoscalerJson, CancellationToken ct = default) =>
        await SendJsonObjectAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/autoscaler", Json(autoscalerJson), ct).ConfigureAwait(false);

    /// <summary>Turns a service's autoscaler off (the count stays where it is).</summary>
    public async Task<JsonObject> DisableAutoscalerAsync(string name, CancellationToken ct = default) =>
        await SendJsonObjectAsync(HttpMethod.Delete, $"api/v2/services/{Esc(name)}/autoscaler", null, ct).ConfigureAwait(false);

    /// <summary>The scheduled scaling in force: <c>{"source": "api"|"spec"|"none", "cronscaler": {...}|null}</c>.</summary>
    public async Task<JsonObject> GetCronScalerAsync(string name, CancellationToken ct = default) =>
        await SendJsonObjectAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/cronscaler", null, ct).ConfigureAwait(false);

    /// <summary>Sets scheduled scaling (EAS's <c>{"ScaleJobs":[...],"ExcludeDates":[...]}</c>) without a new version.</summary>
    public async Task<JsonObject> SetCronScalerAsync(string name, string cronJson, CancellationToken ct = default) =>
        await SendJsonObjectAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/cronscaler", Json(cronJson), ct).ConfigureAwait(false);

    /// <summary>Turns scheduled scaling off.</summary>
    public async Task<JsonObject> DisableCronScalerAsync(string name, CancellationToken ct = default) =>
        await SendJsonObjectAsync(HttpMethod.Delete, $"api/v2/services/{Esc(name)}/cronscaler", null, ct).ConfigureAwait(false);

    private async Task<JsonObject> SendJsonObjectAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = NewRequest(method, path, content);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(RequestTimeout);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cts.Token).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
        return JsonNode.Parse(text) as JsonObject ?? throw new EasApiException(response.StatusCode, null, "the server answered something that is not a JSON object", []);
    }

    // ---- jobs -----------------------------------------------------------------------------

    /// <summary>Starts a job on the server (kind <c>stress</c>: load a service through the server's own gateway).</summary>
    public Task<JobInfo> CreateJobAsync(JobRequest job, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/v2/jobs", Json(JsonSerializer.Serialize(job, EasJsonContext.Default.JobRequest)),
            EasJsonContext.Default.JobInfo, ct);

    /// <summary>Jobs, newest first (without their per-second results).</summary>
    public Task<List<JobInfo>> ListJobsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/v2/jobs", null, EasJsonContext.Default.ListJobInfo, ct);

    /// <summary>A job with its per-second results so far and, once finished, its summary.</summary>
    public Task<JobInfo> GetJobAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/jobs/{Esc(id)}", null, EasJsonContext.Default.JobInfo, ct);

    /// <summary>Cancels a running job (it keeps the results of what ran).</summary>
    public Task<JobInfo> CancelJobAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/v2/jobs/{Esc(id)}", null, EasJsonContext.Default.JobInfo, ct);

    /// <summary>The HTML report of a stress job.</summary>
    public async Task<string> GetJobReportAsync(string id, CancellationToken ct = default)
    {
        using var request = NewRequest(HttpMethod.Get, $"api/v2/jobs/{Esc(id)}/report", null);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(RequestTimeout);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cts.Token).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
    }

    // ---- alerts ---------------------------------------------------------------------------

    /// <summary>The alert rules of a service, or of every service when <paramref name="service"/> is null, with their state.</summary>
    public Task<List<AlertRuleInfo>> ListAlertsAsync(string? service = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, service is null ? "api/v2/alerts" : $"api/v2/services/{Esc(service)}/alerts", null,
            EasJsonContext.Default.ListAlertRuleInfo, ct);

    public Task<AlertRuleInfo> GetAlertAsync(string service, string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(service)}/alerts/{Esc(id)}", null, EasJsonContext.Default.AlertRuleInfo, ct);

    /// <summary>Adds an alert rule to a service (e.g. <c>new AlertRuleRequest { Expr = "p99 &gt; 200ms for 30s" }</c>).</summary>
    public Task<AlertRuleInfo> CreateAlertAsync(string service, AlertRuleRequest rule, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/v2/services/{Esc(service)}/alerts",
            Json(JsonSerializer.Serialize(rule, EasJsonContext.Default.AlertRuleRequest)), EasJsonContext.Default.AlertRuleInfo, ct);

    /// <summary>Adds an alert rule given in short form, e.g. <c>p99 &gt; 200ms for 30s</c>.</summary>
    public Task<AlertRuleInfo> CreateAlertAsync(string service, string expr, string? name = null, string? webhook = null,
        CancellationToken ct = default) =>
        CreateAlertAsync(service, new AlertRuleRequest { Expr = expr, Name = name, Webhook = webhook }, ct);

    public Task DeleteAlertAsync(string service, string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/v2/services/{Esc(service)}/alerts/{Esc(id)}", null, ct);

    // ---- resource groups ------------------------------------------------------------------

    /// <summary>Every resource group (<c>public</c> first) with its capacity, use and services.</summary>
    // ---- service groups, mirroring, canary releases -----------------------------------------

    public Task<List<GroupInfo>> ListGroupsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/v2/groups", null, EasJsonContext.Default.ListGroupInfo, ct);

    public Task<GroupInfo> DescribeGroupAsync(string group, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/groups/{Esc(group)}", null, EasJsonContext.Default.GroupInfo, ct);

    /// <summary>Sets several members' weights at once (the gateway switches in one step).</summary>
    public Task<GroupInfo> SetGroupWeightsAsync(string group, IReadOnlyDictionary<string, int> weights, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/groups/{Esc(group)}/weights",
            Json(JsonSerializer.Serialize(new GroupWeightRequest { Weights = weights.ToDictionary() }, EasJsonContext.Default.GroupWeightRequest)),
            EasJsonContext.Default.GroupInfo, ct);

    /// <summary>Keeps one user on one member by a header's or a cookie's value (both null: not sticky).</summary>
    public Task<GroupInfo> SetGroupStickyAsync(string group, string? header, string? cookie, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/groups/{Esc(group)}/sticky",
            Json(JsonSerializer.Serialize(new GroupStickyRequest { Header = header, Cookie = cookie }, EasJsonContext.Default.GroupStickyRequest)),
            EasJsonContext.Default.GroupInfo, ct);

    /// <summary>EAS's release call: the service's weight in its group.</summary>
    public Task<GroupInfo> SetServiceWeightAsync(string name, int weight, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/release",
            Json(JsonSerializer.Serialize(new ReleaseWeightRequest { Weight = weight }, EasJsonContext.Default.ReleaseWeightRequest)),
            EasJsonContext.Default.GroupInfo, ct);

    /// <summary>The service's mirroring (Ratio 0 and no target when off).</summary>
    public Task<MirrorSetting> GetMirrorAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/mirror", null, EasJsonContext.Default.MirrorSetting, ct);

    /// <summary>Copies <paramref name="percent"/> % of the service's calls to the targets (a new setting starts a new report).</summary>
    public Task<MirrorSetting> SetMirrorAsync(string name, int percent, IEnumerable<string> targets, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/mirror",
            Json(JsonSerializer.Serialize(new MirrorSetting { Ratio = percent, Target = [.. targets] }, EasJsonContext.Default.MirrorSetting)),
            EasJsonContext.Default.MirrorSetting, ct);

    public Task<MirrorSetting> DisableMirrorAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/v2/services/{Esc(name)}/mirror", null, EasJsonContext.Default.MirrorSetting, ct);

    /// <summary>Main versus mirror: status codes, latency percentiles, differing bodies with examples, drops.</summary>
    public Task<MirrorReport> GetMirrorReportAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/mirror/report", null, EasJsonContext.Default.MirrorReport, ct);

    /// <summary>Starts a progressive canary release of the service.</summary>
    public Task<ReleaseInfo> StartCanaryAsync(string name, CanaryRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/v2/services/{Esc(name)}/canary",
            Json(JsonSerializer.Serialize(request, EasJsonContext.Default.CanaryRequest)), EasJsonContext.Default.ReleaseInfo, ct);

    /// <summary>The service's release (running, or the last one).</summary>
    public Task<ReleaseInfo> GetCanaryAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/services/{Esc(name)}/canary", null, EasJsonContext.Default.ReleaseInfo, ct);

    /// <summary>pause, resume, abort or promote the running release.</summary>
    public Task<ReleaseInfo> CanaryActionAsync(string name, string action, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/services/{Esc(name)}/canary",
            Json(JsonSerializer.Serialize(new CanaryActionRequest { Action = action }, EasJsonContext.Default.CanaryActionRequest)),
            EasJsonContext.Default.ReleaseInfo, ct);

    public Task<List<ResourceGroupInfo>> ListResourcesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/v2/resources", null, EasJsonContext.Default.ListResourceGroupInfo, ct);

    /// <summary>One resource group with its instances.</summary>
    public Task<ResourceGroupInfo> GetResourceAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/v2/resources/{Esc(name)}", null, EasJsonContext.Default.ResourceGroupInfo, ct);

    /// <summary>Creates a dedicated resource group with declared capacity (spot when <c>Spot</c> is set).</summary>
    public Task<ResourceGroupInfo> CreateResourceAsync(ResourceGroupRequest group, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/v2/resources",
            Json(JsonSerializer.Serialize(group, EasJsonContext.Default.ResourceGroupRequest)), EasJsonContext.Default.ResourceGroupInfo, ct);

    /// <summary>Changes a dedicated group's capacity.</summary>
    public Task<ResourceGroupInfo> UpdateResourceAsync(string name, ResourceGroupRequest group, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/v2/resources/{Esc(name)}",
            Json(JsonSerializer.Serialize(group, EasJsonContext.Default.ResourceGroupRequest)), EasJsonContext.Default.ResourceGroupInfo, ct);

    /// <summary>Deletes a dedicated group no service uses.</summary>
    public Task DeleteResourceAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/v2/resources/{Esc(name)}", null, ct);

    /// <summary>Sends a spot group the cloud's preemption notice (see <see cref="PreemptRequest"/>).</summary>
    public Task<PreemptResult> PreemptAsync(string name, PreemptRequest notice, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/v2/resources/{Esc(name)}/preempt",
            Json(JsonSerializer.Serialize(notice, EasJsonContext.Default.PreemptRequest)), EasJsonContext.Default.PreemptResult, ct);

    // ---- calling services -----------------------------------------------------------------

    /// <summary>The gateway URL of a service (<c>…/api/predict/{service}[/{path}]</c>), e.g. for a load generator.</summary>
    public Uri PredictUri(string service, string? path = null) =>
        new(Endpoint, "api/predict/" + Esc(service) + (string.IsNullOrEmpty(path) ? "" : "/" + path.TrimStart('/')));

    /// <summary>
    /// Calls a service through the gateway (<c>/api/predict/{service}[/{path}]</c>) with its token,
    /// and returns whatever it answered (errors included, as data).
    /// </summary>
    public async Task<PredictResult> PredictAsync(string service, string? token, ReadOnlyMemory<byte> body,
        HttpMethod? method = null, string? path = null, IEnumerable<KeyValuePair<string, string>>? headers = null,
        TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var url = "api/predict/" + Esc(service);
        if (!string.IsNullOrEmpty(path))
        {
            url += "/" + path.TrimStart('/');
        }

        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, new Uri(Endpoint, url));
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.TryAddWithoutValidation("Authorization", token);
        }

        if (method is null || method != HttpMethod.Get || !body.IsEmpty)
        {
            request.Content = new ReadOnlyMemoryContent(body);
        }

        foreach (var (key, value) in headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(key, value))
            {
                request.Content ??= new ReadOnlyMemoryContent(body);
                request.Content.Headers.TryAddWithoutValidation(key, value);
            }
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(100));
        var started = Stopwatch.GetTimestamp();
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
        var bytes = await ReadBodyAsync(response.Content, cts.Token).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var list = new List<KeyValuePair<string, string>>();
        foreach (var h in response.Headers.Concat(response.Content.Headers))
        {
            list.Add(new(h.Key, string.Join(", ", h.Value)));
        }

        return new PredictResult { Status = response.StatusCode, Headers = list, Body = bytes, Elapsed = elapsed };
    }

    /// <summary>
    /// The whole body, read straight into an array of its announced length (model outputs can be megabytes: buffering
    /// them first and copying them out would allocate and copy each one twice).
    /// </summary>
    private async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken ct)
    {
        try
        {
            if (content.Headers.ContentLength is not { } length || length > Array.MaxLength)
            {
                return await content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }

            var bytes = new byte[length];
            await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await stream.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
            return bytes;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new EasApiException(null, "ConnectionLost", $"the answer from {Endpoint} broke off: {ex.Message}", [], ex);
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    // ---- plumbing -------------------------------------------------------------------------

    private static string Esc(string segment) => Uri.EscapeDataString(segment);

    private static string LogsPath(string name, string? instance, int tail, bool follow)
    {
        var query = $"?tail={tail}&follow={(follow ? "true" : "false")}";
        if (!string.IsNullOrEmpty(instance))
        {
            query += "&instance=" + Uri.EscapeDataString(instance);
        }

        return $"api/v2/services/{Esc(name)}/logs{query}";
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private HttpRequestMessage NewRequest(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, new Uri(Endpoint, path)) { Content = content };
        if (!string.IsNullOrEmpty(AdminToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption option, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, option, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new EasApiException(null, "Unreachable", $"cannot reach the OpenEAS server at {Endpoint}: {ex.Message}", [], ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested || ex.InnerException is TimeoutException)
        {
            throw new EasApiException(null, "Timeout", $"the OpenEAS server at {Endpoint} did not answer in time", [], ex);
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var request = NewRequest(method, path, content);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(RequestTimeout);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cts.Token).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(text, type)
                ?? throw new EasApiException(response.StatusCode, null, "the server answered an empty body", []);
        }
        catch (JsonException ex)
        {
            throw new EasApiException(response.StatusCode, null, $"the server answered something that is not the expected JSON: {ex.Message}", [], ex);
        }
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = NewRequest(method, path, content);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(RequestTimeout);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cts.Token).ConfigureAwait(false);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        string? code = null;
        string message = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        var errors = new List<SpecIssue>();
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem)
            {
                code = problem["code"]?.GetValue<string>();
                var detail = problem["detail"]?.GetValue<string>();
                var title = problem["title"]?.GetValue<string>();
                message = detail ?? title ?? message;
                if (problem["errors"] is JsonArray list)
                {
                    foreach (var item in list)
                    {
                        if (item is JsonObject o)
                        {
                            errors.Add(new SpecIssue(o["path"]?.GetValue<string>() ?? "", o["message"]?.GetValue<string>() ?? ""));
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
            if (!string.IsNullOrWhiteSpace(text))
            {
                message += ": " + text.Trim();
            }
        }
        catch (InvalidOperationException)
        {
            // A field of an unexpected JSON type: keep the status line as the message.
        }

        throw new EasApiException(response.StatusCode, code, message, errors);
    }
}
