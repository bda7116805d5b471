using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenEas.Cli;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>Alert rules against a real server and a real webhook receiver: fire, resolve, retry, manage.</summary>
public class AlertTests
{
    /// <summary>A webhook receiver on 127.0.0.1:0 that keeps every POSTed body; the first <c>failFirst</c> get 500.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _attempts;

        private Receiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";
        public ConcurrentQueue<(JsonElement Body, long At)> Accepted { get; } = new();
        public ConcurrentQueue<long> Attempts { get; } = new();

        public static async Task<Receiver> StartAsync(int failFirst = 0)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/hook", async (HttpRequest request) =>
            {
                receiver.Attempts.Enqueue(Stopwatch.GetTimestamp());
                using var body = await JsonDocument.ParseAsync(request.Body);
                if (Interlocked.Increment(ref receiver._attempts) <= failFirst)
                {
                    return Results.StatusCode(500);
                }

                receiver.Accepted.Enqueue((body.RootElement.Clone(), Stopwatch.GetTimestamp()));
                return Results.Ok();
            });
            await app.StartAsync();
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
            return receiver;
        }

        public Task<JsonElement> WaitForAsync(string status, TimeSpan timeout) =>
            Poll.UntilAsync(() => Task.FromResult(Accepted.Select(a => a.Body).FirstOrDefault(b => b.GetProperty("status").GetString() == status)),
                b => b.ValueKind == JsonValueKind.Object, timeout, $"a \"{status}\" notification");

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>Calls <c>/slow?ms=N</c> with a few workers until stopped; N can change on the way.</summary>
    private sealed class Load(EasClient client, string service, string token) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task[] _workers = [];

        public int DelayMs { get; set; }

        public void Start(int workers = 3) => _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await client.PredictAsync(service, token, default, HttpMethod.Get, $"slow?ms={DelayMs}", ct: _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }))];

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
            _stop.Dispose();
        }
    }

    private static async Task<(TestServer Server, string Token)> StartAsync(string name)
    {
        var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.ProgramSpec(name, "gateway_app.py"));
        await server.WaitForStatusAsync(name, ServiceStates.Running, running: 1);
        return (server, created.AccessToken);
    }

    [Fact]
    public async Task An_alert_fires_under_slow_calls_and_resolves_when_they_are_fast_again()
    {
        var (server, token) = await StartAsync("alerted");
        await using var owned = server;
        await using var receiver = await Receiver.StartAsync();
        var rule = await server.Client.CreateAlertAsync("alerted", "p99 > 100ms for 2s", name: "slow-calls", webhook: receiver.Url);
        Assert.Equal("p99 > 100ms for 2s", rule.Expr);
        Assert.Equal(AlertStates.Inactive, rule.State);

        await using var load = new Load(server.Client, "alerted", token) { DelayMs = 150 };
        load.Start();
        var firing = await receiver.WaitForAsync("firing", TimeSpan.FromSeconds(20));
        Assert.Equal("alerted", firing.GetProperty("service").GetString());
        Assert.Equal(rule.Id, firing.GetProperty("rule").GetProperty("id").GetString());
        Assert.Equal("slow-calls", firing.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal("p99 > 100ms for 2s", firing.GetProperty("rule").GetProperty("expr").GetString());
        Assert.True(firing.GetProperty("value").GetDouble() > 100);
        Assert.Equal(100, firing.GetProperty("threshold").GetDouble());
        var startsAt = firing.GetProperty("startsAt").GetDateTimeOffset();
        Assert.False(firing.TryGetProperty("endsAt", out _));
        Assert.Matches(@"^p99 \d+(\.\d+)? ms > 100 ms for 2 s$", firing.GetProperty("message").GetString());
        var all = await server.Client.ListAlertsAsync();
        Assert.Equal(AlertStates.Firing, Assert.Single(all).State);

        // Fast calls again: p99 drops under the threshold (a silent service would keep the alert as it is).
        load.DelayMs = 1;
        var resolved = await receiver.WaitForAsync("resolved", TimeSpan.FromSeconds(20));
        Assert.Equal(rule.Id, resolved.GetProperty("rule").GetProperty("id").GetString());
        Assert.True(resolved.GetProperty("value").GetDouble() <= 100);
        Assert.Equal(startsAt, resolved.GetProperty("startsAt").GetDateTimeOffset());
        Assert.True(resolved.GetProperty("endsAt").GetDateTimeOffset() > startsAt);
        Assert.Contains("no longer > 100 ms", resolved.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(AlertStates.Inactive, (await server.Client.GetAlertAsync("alerted", rule.Id)).State);

        var events = await server.Client.ListEventsAsync("alerted");
        var fired = Assert.Single(events, e => e.Reason == "AlertFiring");
        Assert.Equal("Warning", fired.Type);
        Assert.StartsWith("alert slow-calls: p99 ", fired.Message, StringComparison.Ordinal);
        Assert.Equal("Normal", Assert.Single(events, e => e.Reason == "AlertResolved").Type);
    }

    [Fact]
    public async Task A_webhook_that_fails_twice_gets_the_notification_on_the_third_try()
    {
        var (server, token) = await StartAsync("retried");
        await using var owned = server;
        await using var receiver = await Receiver.StartAsync(failFirst: 2);
        await server.Client.CreateAlertAsync("retried", new AlertRuleRequest { Metric = "qps", Op = ">", Threshold = 2, For = 0, Webhook = receiver.Url });

        await using var load = new Load(server.Client, "retried", token) { DelayMs = 1 };
        load.Start(workers: 2);
        var firing = await receiver.WaitForAsync("firing", TimeSpan.FromSeconds(20));
        Assert.Equal("retried", firing.GetProperty("service").GetString());
        var attempts = receiver.Attempts.Take(3).ToArray();
        Assert.Equal(3, attempts.Length);
        // Backoff: about 1 s before the second try, about 2 s before the third.
        Assert.InRange(Stopwatch.GetElapsedTime(attempts[0], attempts[1]).TotalSeconds, 0.9, 5);
        Assert.InRange(Stopwatch.GetElapsedTime(attempts[1], attempts[2]).TotalSeconds, 1.9, 6);
    }

    [Fact]
    public async Task Rules_are_validated_listed_removed_and_go_with_their_service()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.ProgramSpec("ruled", "gateway_app.py"));

        var bad = await Assert.ThrowsAsync<EasApiException>(() => server.Client.CreateAlertAsync("ruled", "p99 > 200GB for 30s"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal(ErrorCodes.InvalidAlertRule, bad.Code);
        Assert.Equal("expr", Assert.Single(bad.Errors).Path);
        Assert.Contains("unit \"GB\" does not fit p99", bad.Errors[0].Message, StringComparison.Ordinal);

        var ftp = await Assert.ThrowsAsync<EasApiException>(() => server.Client.CreateAlertAsync("ruled", "qps < 1", webhook: "ftp://x/y"));
        Assert.Equal("webhook", Assert.Single(ftp.Errors).Path);
        var missing = await Assert.ThrowsAsync<EasApiException>(() => server.Client.CreateAlertAsync("nope", "qps < 1"));
        Assert.Equal(ErrorCodes.ServiceNotFound, missing.Code);

        // The CLI, as a user types it.
        var add = await EasAsync(server, "alert", "add", "ruled", "error_rate > 1% for 1m", "--name", "errors", "--json");
        Assert.True(add.Code == ExitCodes.Success, add.Err);
        var added = JsonSerializer.Deserialize(add.Out, EasJsonContext.Default.AlertRuleInfo)!;
        Assert.Equal("error_rate > 1% for 1m", added.Expr);
        var ls = await EasAsync(server, "alert", "ls", "ruled");
        Assert.Contains(added.Id, ls.Out, StringComparison.Ordinal);
        Assert.Contains("error_rate > 1% for 1m", ls.Out, StringComparison.Ordinal);
        var refused = await EasAsync(server, "alert", "add", "ruled", "p99 > fast");
        Assert.Equal(ExitCodes.InvalidSpec, refused.Code);
        Assert.Equal("eas: alert rule rejected: expr: threshold: expected a number after \">\", got \"fast\"", refused.Err.Trim());

        var second = await server.Client.CreateAlertAsync("ruled", "qps < 5 for 5m");
        Assert.Equal(2, (await server.Client.ListAlertsAsync("ruled")).Count);
        var rm = await EasAsync(server, "alert", "rm", "ruled", added.Id);
        Assert.True(rm.Code == ExitCodes.Success, rm.Err);
        var gone = await Assert.ThrowsAsync<EasApiException>(() => server.Client.GetAlertAsync("ruled", added.Id));
        Assert.Equal(ErrorCodes.AlertNotFound, gone.Code);
        Assert.Equal(ExitCodes.NotFound, (await EasAsync(server, "alert", "rm", "ruled", added.Id)).Code);
        Assert.Equal(second.Id, Assert.Single(await server.Client.ListAlertsAsync()).Id);

        await server.Client.DeleteServiceAsync("ruled");
        await Poll.UntilAsync(async () => (await server.Client.ListServicesAsync()).Count, n => n == 0, TimeSpan.FromSeconds(20), "the service to be deleted");
        Assert.Empty(await server.Client.ListAlertsAsync());
    }

    private static Task<EasCli.Run> EasAsync(TestServer server, params string[] args) => EasCli.RunAsync(server, args);
}
