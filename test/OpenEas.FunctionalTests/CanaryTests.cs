using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OpenEas.FunctionalTests;

/// <summary>Progressive canary releases judged on live metrics, under steady traffic.</summary>
public class CanaryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_canary_failing_20_percent_of_calls_is_rolled_back_by_itself_and_users_see_under_1_percent_failures()
    {
        await using var server = await TestServer.StartAsync();
        var (main, newSpec) = await StartAsync(server, "cbad", ReleaseApp.Containers("2", failEvery: 5));

        await using var traffic = new Traffic(server.Client, "cbad", main.AccessToken, concurrency: 4, echo: false);
        await traffic.WaitForMoreAsync(200);
        var run = await EasCli.RunAsync(server, "release", "cbad", "--spec", newSpec, "--steps", "5,25,50,100", "--pause", "3s",
            "--max-error-rate", "1%", "--max-p99-ratio", "1.5", "--no-wait");
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("Starting", run.Out);

        var release = await Poll.UntilAsync(() => server.Client.GetCanaryAsync("cbad"), r => !ReleaseStates.IsActive(r.State),
            TimeSpan.FromSeconds(120), "the release to end");
        await traffic.WaitForMoreAsync(1000);
        await traffic.StopAsync();

        Assert.Equal(ReleaseStates.RolledBack, release.State);
        Assert.Contains("error rate", release.Reason);
        Assert.Equal(0, release.Weight);
        var total = traffic.Succeeded + traffic.Failures.Count;
        output.WriteLine($"{traffic.Failures.Count} of {total} calls failed; {release.Reason}");
        foreach (var e in release.History)
        {
            output.WriteLine($"{e.Time:HH:mm:ss.fff} {e.Reason}: {e.Message}");
        }
        Assert.True(traffic.Failures.Count < total * 0.01, $"{traffic.Failures.Count} of {total} calls failed: {string.Join("; ", traffic.Failures.Take(3))}");
        Assert.All(traffic.Failures, f => Assert.StartsWith("500", f)); // only the canary's own answers, nothing from the switch

        // All traffic is back on version 1, the canary is scaled to zero, and why is on record.
        var after = await ReleaseApp.CountVersionsAsync(server.Client, "cbad", main.AccessToken, 50);
        Assert.Equal(["1"], after.Keys);
        await Poll.UntilAsync(() => server.Client.DescribeServiceAsync("cbad_canary"), d => d.TotalInstance == 0 && d.RunningInstance == 0,
            TimeSpan.FromSeconds(30), "the canary scaled to zero");
        var events = await server.Client.ListEventsAsync("cbad");
        Assert.Contains(events, e => e.Reason == "ReleaseRolledBack" && e.Type == "Warning" && e.Message.Contains("error rate", StringComparison.Ordinal));
        var desc = await EasCli.RunAsync(server, "desc", "cbad");
        Assert.Contains("RolledBack", desc.Out);
        Assert.Equal(1, (await server.Client.DescribeServiceAsync("cbad")).CurrentVersion);
    }

    [Fact]
    public async Task A_healthy_canary_reaches_100_percent_and_becomes_the_services_next_version_without_help()
    {
        await using var server = await TestServer.StartAsync();
        var (main, newSpec) = await StartAsync(server, "cgood", ReleaseApp.Containers("2"));

        await using var traffic = new Traffic(server.Client, "cgood", main.AccessToken, concurrency: 4);
        await traffic.WaitForMoreAsync(200);
        // Followed live: the command returns when the release has ended, 0 when promoted.
        var run = await EasCli.RunAsync(server, "release", "cgood", "--spec", newSpec, "--steps", "10,50,100", "--pause", "2s", "--min-calls", "10");
        await traffic.WaitForMoreAsync(200);
        await traffic.StopAsync();

        Assert.True(run.Code == 0, run.Out + run.Err);
        Assert.Contains("step 2/3", run.Out);
        Assert.Contains("Promoted", run.Out);
        Assert.Empty(traffic.Failures);
        var release = await server.Client.GetCanaryAsync("cgood");
        Assert.Equal(ReleaseStates.Promoted, release.State);
        Assert.Contains(release.History, e => e.Reason == "ReleaseStep" && e.Message.Contains("100 %", StringComparison.Ordinal));

        var described = await server.Client.DescribeServiceAsync("cgood");
        Assert.Equal(2, described.CurrentVersion); // a normal new version: eas version cgood 1 rolls back
        Assert.Equal(["2"], (await ReleaseApp.CountVersionsAsync(server.Client, "cgood", main.AccessToken, 30)).Keys);
        await Poll.UntilAsync(async () => (await server.Client.ListServicesAsync()).All(s => s.ServiceName != "cgood_canary"), ok => ok,
            TimeSpan.FromSeconds(30), "the canary to be retired");
    }

    [Fact]
    public async Task Release_can_be_paused_resumed_and_aborted_by_hand()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(ReleaseApp.Spec("chand", "1"));
        var main = await server.WaitForStatusAsync("chand", ServiceStates.Running, 1);
        await server.Client.StartCanaryAsync("chand", new CanaryRequest
        {
            Spec = System.Text.Json.Nodes.JsonNode.Parse($$"""{ "containers": {{ReleaseApp.Containers("2")}} }""")!.AsObject(),
            Steps = [50, 100],
            PauseSeconds = 3600,
            MaxP99Ratio = 100, // about the hand actions, not the latency of a cold canary
        });
        await Poll.UntilAsync(() => server.Client.GetCanaryAsync("chand"), r => r.State == ReleaseStates.Progressing, TimeSpan.FromSeconds(60), "progressing");
        var split = await ReleaseApp.CountVersionsAsync(server.Client, "chand", main.AccessToken, 100);
        Assert.Equal((50, 50), (split.GetValueOrDefault("1"), split.GetValueOrDefault("2")));

        var paused = await EasCli.RunAsync(server, "release", "chand", "--pause");
        Assert.True(paused.Code == 0, paused.Err);
        Assert.Contains("Paused", paused.Out);
        var again = await EasCli.RunAsync(server, "release", "chand", "--pause");
        Assert.Equal(7, again.Code);
        Assert.Contains("cannot pause", again.Err);
        var resumed = await EasCli.RunAsync(server, "release", "chand", "--resume", "--no-wait");
        Assert.Contains("Progressing", resumed.Out);

        var aborted = await EasCli.RunAsync(server, "release", "chand", "--abort");
        Assert.True(aborted.Code == 0, aborted.Err);
        Assert.Contains("Aborted", aborted.Out);
        Assert.Equal(["1"], (await ReleaseApp.CountVersionsAsync(server.Client, "chand", main.AccessToken, 30)).Keys);
        var desc = await EasCli.RunAsync(server, "desc", "chand");
        Assert.Contains("Aborted", desc.Out);
    }

    /// <summary>A service running version 1, and a file with the new version's containers.</summary>
    private static async Task<(ServiceDescription Main, string NewSpec)> StartAsync(TestServer server, string name, string newContainers)
    {
        await server.Client.CreateServiceAsync(ReleaseApp.Spec(name, "1"));
        var main = await server.WaitForStatusAsync(name, ServiceStates.Running, 1);
        var newSpec = Path.Combine(server.DataDir, "new.json");
        await File.WriteAllTextAsync(newSpec, $$"""{ "containers": {{newContainers}} }""");
        return (main, newSpec);
    }
}
