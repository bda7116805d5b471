using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenEas.Cli;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>One server with the echo service, shared by the monitoring tests.</summary>
public sealed class MonitorServer : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        await Server.Client.CreateServiceAsync(TestServer.EchoSpec("echo"));
        await Server.Client.CreateServiceAsync(TestServer.EchoSpec("tally"));
        await Server.WaitForStatusAsync("echo", ServiceStates.Running, running: 1);
        await Server.WaitForStatusAsync("tally", ServiceStates.Running, running: 1);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary><c>eas monitor</c>, <c>eas top</c> and the SDK's metrics calls against a real server with real traffic.</summary>
public sealed partial class MonitorTests(MonitorServer fixture) : IClassFixture<MonitorServer>
{
    private readonly TestServer _server = fixture.Server;

    private sealed record Run(int Code, string Out, string Err)
    {
        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private async Task<Run> EasAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--endpoint", _server.Endpoint, "--admin-token", TestServer.Admin], stdout, stderr,
            new StringReader(""));
        return new Run(code, stdout.ToString(), stderr.ToString());
    }

    private async Task<Traffic> StartTrafficAsync()
    {
        var token = (await _server.Client.DescribeServiceAsync("echo")).AccessToken;
        var traffic = new Traffic(_server.Client, "echo", token, concurrency: 2);
        await traffic.WaitForMoreAsync(20);
        // The hub closes a second a second later: wait until the service's newest second shows the load.
        await Poll.UntilAsync(() => _server.Client.GetLatestMetricsAsync(),
            all => all.Any(s => s.Service == "echo" && s.Points.Count > 0 && s.Points[^1].Qps > 0), TimeSpan.FromSeconds(15),
            "the echo service's newest second to show traffic");
        return traffic;
    }

    [Fact]
    public async Task Monitor_prints_a_json_line_per_refresh_and_shows_the_traffic()
    {
        await using var traffic = await StartTrafficAsync();

        var run = await EasAsync("monitor", "echo", "--count", "3", "--json");

        Assert.True(run.Code == ExitCodes.Success, run.Err);
        Assert.Equal(3, run.Lines.Length);
        var refreshes = run.Lines.Select(l => JsonSerializer.Deserialize(l, EasJsonContext.Default.MetricSeries)!).ToList();
        Assert.All(refreshes, r => Assert.Equal("echo", r.Service));
        var points = refreshes.SelectMany(r => r.Points).ToList();
        Assert.Contains(points, p => p.Qps > 0 && p.Status2xx > 0 && p.P99Ms > 0 && p.Instances == 1);
        Assert.Empty(traffic.Failures);
    }

    [Fact]
    public async Task Top_prints_a_json_line_per_refresh_with_every_service()
    {
        await using var traffic = await StartTrafficAsync();

        var run = await EasAsync("top", "--count", "3", "--json");

        Assert.True(run.Code == ExitCodes.Success, run.Err);
        Assert.Equal(3, run.Lines.Length);
        var refreshes = run.Lines.Select(l => JsonSerializer.Deserialize(l, EasJsonContext.Default.ListMetricSeries)!).ToList();
        Assert.All(refreshes, r => Assert.Equal(["echo", "tally"], r.Select(s => s.Service).Order(StringComparer.Ordinal)));
        Assert.Contains(refreshes, r => r.Single(s => s.Service == "echo").Points is [{ Qps: > 0 }]);
    }

    [Fact]
    public async Task Redirected_output_is_one_plain_line_per_refresh_with_the_numbers()
    {
        await using var traffic = await StartTrafficAsync();

        var monitor = await EasAsync("monitor", "echo", "--count", "2");
        Assert.True(monitor.Code == ExitCodes.Success, monitor.Err);
        Assert.Equal(2, monitor.Lines.Length);
        Assert.All(monitor.Lines, line =>
        {
            Assert.Matches(@"^\d\d:\d\d:\d\d echo qps=\d", line);
            Assert.Matches(@"p99=[\d.]+ms", line);
            Assert.Matches(@"instances=1 cpu=[\d.]+% mem=[\d.]+[KMG]?i?B$", line);
            Assert.DoesNotContain("\u001b", line, StringComparison.Ordinal); // no terminal escapes in a pipe
        });
        Assert.Contains(monitor.Lines, line => QpsOf(line) > 0);

        var top = await EasAsync("top", "--count", "2");
        Assert.True(top.Code == ExitCodes.Success, top.Err);
        Assert.Equal(4, top.Lines.Length); // two services, two refreshes
        // Busiest first: echo has the traffic, tally has none.
        Assert.Matches(@"^\d\d:\d\d:\d\d echo Running instances=1/1 qps=\d", top.Lines[0]);
        Assert.Matches(@"^\d\d:\d\d:\d\d tally Running instances=1/1 qps=0 ", top.Lines[1]);
        Assert.Contains(top.Lines, line => line.Contains(" echo ", StringComparison.Ordinal) && QpsOf(line) > 0);
    }

    [Fact]
    public async Task Monitor_errors_are_one_line_with_a_named_exit_code()
    {
        var ghost = await EasAsync("monitor", "ghost", "--count", "1");
        Assert.Equal(ExitCodes.NotFound, ghost.Code);
        Assert.Equal("eas: service \"ghost\" not found", ghost.Err.Trim());
        Assert.Equal("", ghost.Out);

        var instance = await EasAsync("monitor", "echo", "--instance", "nope", "--count", "1");
        Assert.Equal(ExitCodes.NotFound, instance.Code);
        Assert.Contains("no instance \"nope\"", Assert.Single(instance.Err.Trim().Split('\n')), StringComparison.Ordinal);

        var interval = await EasAsync("top", "--interval", "soon", "--count", "1");
        Assert.Equal(ExitCodes.Usage, interval.Code);
        Assert.Contains("--interval", Assert.Single(interval.Err.Trim().Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_of_one_instance_shows_that_instance()
    {
        await using var traffic = await StartTrafficAsync();
        var name = Assert.Single(await _server.Client.ListInstancesAsync("echo")).InstanceName;

        // The instance's series carries CPU and memory read from /proc; give the sampler a second or two.
        var series = await Poll.UntilAsync(() => _server.Client.GetMetricsAsync("echo", name, DateTimeOffset.UtcNow - TimeSpan.FromSeconds(30)),
            s => s.Points.Any(p => p.Requests > 0 && p.MemoryBytes > 0), TimeSpan.FromSeconds(15), "the instance's series to show load and memory");
        Assert.Equal(name, series.Instance);

        var run = await EasAsync("monitor", "echo", "--instance", name, "--count", "1", "--json");
        Assert.True(run.Code == ExitCodes.Success, run.Err);
        var line = JsonSerializer.Deserialize(Assert.Single(run.Lines), EasJsonContext.Default.MetricSeries)!;
        Assert.Equal(name, line.Instance);
        Assert.Single(line.Points);
    }

    [Fact]
    public async Task Per_second_points_add_up_to_the_calls_made()
    {
        var token = (await _server.Client.DescribeServiceAsync("tally")).AccessToken;
        var started = DateTimeOffset.UtcNow;
        const int Calls = 60;
        for (var i = 0; i < Calls; i++)
        {
            var answer = await _server.Client.PredictAsync("tally", token, Encoding.UTF8.GetBytes($"call {i}"));
            Assert.True(answer.IsSuccess, $"{(int)answer.Status} {answer.BodyText}");
        }

        var lastSecond = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // Wait until the second of the last call has closed, then count.
        var series = await Poll.UntilAsync(
            () => _server.Client.GetMetricsAsync("tally", from: DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1)),
            s => s.Points.Count > 0 && s.Points[^1].Time.ToUnixTimeSeconds() >= lastSecond, TimeSpan.FromSeconds(15),
            "the second of the last call to close");

        Assert.Equal("tally", series.Service);
        Assert.Null(series.Instance);
        Assert.Equal(1, series.Step);
        Assert.All(series.Points, p => Assert.Equal(1, p.Seconds));
        Assert.Equal(series.Points.Select(p => p.Time).Distinct().Count(), series.Points.Count);
        Assert.True(series.Points.Zip(series.Points.Skip(1)).All(pair => pair.First.Time < pair.Second.Time), "points are oldest first");
        var ours = series.Points.Where(p => p.Time.ToUnixTimeSeconds() >= started.ToUnixTimeSeconds()).ToList();
        var counted = ours.Sum(p => p.Requests);
        // The hub keeps a few seconds in its ring; a collector that fell far behind on a busy machine may miss one.
        Assert.InRange(counted, Calls * 9 / 10, Calls);
        Assert.Equal(counted, ours.Sum(p => p.Status2xx));

        var latest = await _server.Client.GetLatestMetricsAsync();
        Assert.Contains(latest, s => s.Service == "tally" && s.Step == 1 && s.Points.Count == 1);
    }

    private static double QpsOf(string line) =>
        double.Parse(QpsField().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"qps=([\d.]+)")]
    private static partial Regex QpsField();
}
