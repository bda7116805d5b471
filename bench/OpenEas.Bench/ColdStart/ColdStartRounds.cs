using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;

namespace OpenEas.Bench.ColdStart;

/// <summary>What one OpenEAS round saw, in ms from just before the create call.</summary>
/// <remarks>
/// <see cref="ProbePassedMs"/> is when the instance's readiness check passed (process start plus the
/// "ready in N ms" the agent reports); <see cref="ReadyEventMs"/> is when the reconcile pass that
/// publishes the route recorded the <c>InstanceReady</c> event.
/// </remarks>
internal sealed record OpenEasRound(
    double FirstAnswerMs, double CreateAnsweredMs, double? ProcessStartedMs, double? ProbePassedMs, double? ReadyEventMs, int Attempts);

/// <summary>
/// One round of each side. The baseline is the program's own cold start (spawn → first answer);
/// OpenEAS's is create → first successful predict through the gateway. Both poll every 5 ms.
/// </summary>
internal sealed partial class ColdStartRounds(string appPath, EasClient client)
{
    /// <summary>A round that takes longer than this fails the run.</summary>
    public static readonly TimeSpan RoundLimit = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    private readonly string _runId = Convert.ToHexString(BitConverter.GetBytes(Environment.TickCount64))[..6].ToLowerInvariant();

    /// <summary>Spawns <c>python3 app.py</c> with a free PORT and times it to its first echoed POST.</summary>
    public async Task<double> BaselineAsync(int round, CancellationToken ct)
    {
        var port = Ports.Free();
        var body = Encoding.UTF8.GetBytes($"coldstart baseline round {round}");
        // A fresh handler per round: no pooled connection to a previous round's (dead) program.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = AttemptTimeout })
        {
            Timeout = AttemptTimeout,
        };
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(RoundLimit);

        var started = Stopwatch.GetTimestamp();
        await using var process = ChildProcess.Start("python3 " + appPath, "python3", [appPath], Path.GetDirectoryName(appPath),
            new Dictionary<string, string?> { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var attempts = 0;
        string last = "no attempt";
        while (true)
        {
            attempts++;
            try
            {
                using var content = new ByteArrayContent(body);
                using var response = await http.PostAsync(url, content, limit.Token);
                var answer = await response.Content.ReadAsByteArrayAsync(limit.Token);
                if (response.StatusCode == HttpStatusCode.OK && answer.AsSpan().SequenceEqual(body))
                {
                    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }

                last = $"{(int)response.StatusCode} {Encoding.UTF8.GetString(answer)}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw RoundTooSlow("baseline", round, attempts, last);
            }

            if (process.HasExited)
            {
                throw new BenchException($"baseline round {round}: python3 {appPath} exited with code {process.ExitCode} before answering");
            }

            try
            {
                await Task.Delay(PollEvery, limit.Token);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw RoundTooSlow("baseline", round, attempts, last);
            }
        }
    }

    /// <summary>Creates a one-instance echo service and times it to its first echoed predict; then deletes it (untimed).</summary>
    public async Task<OpenEasRound> OpenEasAsync(int round, CancellationToken ct)
    {
        var name = $"coldstart_{_runId}_{round}";
        var spec = Spec(name);
        var body = Encoding.UTF8.GetBytes($"coldstart openeas round {round}");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(RoundLimit);

        var wallStart = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        string last = "no attempt";
        try
        {
            var created = await client.CreateServiceAsync(spec, limit.Token);
            var createAnswered = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            while (true)
            {
                attempts++;
                var r = await client.PredictAsync(name, created.AccessToken, body, timeout: AttemptTimeout, ct: limit.Token);
                if (r.Status == HttpStatusCode.OK && r.Body.AsSpan().SequenceEqual(body))
                {
                    var firstAnswer = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    return await DescribeAsync(name, wallStart, firstAnswer, createAnswered, attempts, ct);
                }

                last = $"{(int)r.Status} {r.BodyText}";
                await Task.Delay(PollEvery, limit.Token);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw RoundTooSlow("OpenEAS", round, attempts, last);
        }
        finally
        {
            await DeleteAsync(name, ct);
        }
    }

    /// <summary>The same program and resources as examples/echo-py/service.json, by absolute path so no storage mount is needed.</summary>
    private string Spec(string name) => new JsonObject
    {
        ["name"] = name,
        ["containers"] = new JsonArray(new JsonObject
        {
            ["script"] = "python3 " + appPath,
            ["port"] = 8000,
        }),
        ["metadata"] = new JsonObject { ["instance"] = 1, ["cpu"] = 0.1, ["memory"] = 64 },
    }.ToJsonString();

    /// <summary>Where the time went, from the server's own record (untimed; read after the first answer).</summary>
    private async Task<OpenEasRound> DescribeAsync(string name, DateTimeOffset wallStart, double firstAnswer, double createAnswered, int attempts, CancellationToken ct)
    {
        double? Since(DateTimeOffset? t) => t is { } v ? (v - wallStart).TotalMilliseconds : null;
        var instances = await client.ListInstancesAsync(name, ct);
        var events = await client.ListEventsAsync(name, ct: ct);
        var ready = events.FirstOrDefault(e => e.Reason == "InstanceReady");
        var processStarted = Since(instances.Count > 0 ? instances[0].StartTime : null);
        double? probePassed = null;
        if (processStarted is { } ps && ready is not null && ReadyIn().Match(ready.Message) is { Success: true } m)
        {
            probePassed = ps + double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        return new OpenEasRound(firstAnswer, createAnswered, processStarted, probePassed, Since(ready?.Time), attempts);
    }

    /// <summary>Deletes the service and waits until the server no longer knows it and its process is gone.</summary>
    private async Task DeleteAsync(string name, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(RoundLimit);
        List<int> pids = [];
        try
        {
            pids = [.. (await client.ListInstancesAsync(name, limit.Token)).Where(i => i.Pid is not null).Select(i => i.Pid!.Value)];
            await client.DeleteServiceAsync(name, limit.Token);
        }
        catch (EasApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return;
        }

        try
        {
            while (true)
            {
                try
                {
                    await client.DescribeServiceAsync(name, limit.Token);
                }
                catch (EasApiException ex) when (ex.Status == HttpStatusCode.NotFound)
                {
                    if (!pids.Any(NativeMethods.Exists))
                    {
                        return;
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), limit.Token);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new BenchException($"service {name} was not gone {RoundLimit.TotalSeconds:0} s after delete (instance pids: {string.Join(", ", pids)})");
        }
    }

    private static BenchException RoundTooSlow(string side, int round, int attempts, string last) =>
        new($"{side} round {round} took over {RoundLimit.TotalSeconds:0} s without an echoed answer ({attempts} attempts; last: {last})");

    [System.Text.RegularExpressions.GeneratedRegex(@"ready in (\d+) ms")]
    private static partial System.Text.RegularExpressions.Regex ReadyIn();
}
