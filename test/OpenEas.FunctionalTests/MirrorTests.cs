using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>Traffic mirroring: copies go to a test service in the background; callers only ever see the main answer.</summary>
public class MirrorTests
{
    [Fact]
    public async Task Mirroring_never_changes_what_callers_get_and_reports_what_the_mirror_answered_differently()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(ReleaseApp.Spec("mmain", "main"));
        await server.Client.CreateServiceAsync(ReleaseApp.Spec("mtest", "test", reply: "changed", failEvery: 10));
        var main = await server.WaitForStatusAsync("mmain", ServiceStates.Running, 1);
        await server.WaitForStatusAsync("mtest", ServiceStates.Running, 1);

        var set = await EasCli.RunAsync(server, "mirror", "mmain", "--to", "mtest", "--percent", "20");
        Assert.True(set.Code == 0, set.Err);
        Assert.Contains("20% of calls copied to mtest", set.Out);

        for (var i = 0; i < 200; i++)
        {
            var body = System.Text.Encoding.UTF8.GetBytes($"call-{i}");
            var answer = await server.Client.PredictAsync("mmain", main.AccessToken, body);
            Assert.True(answer.IsSuccess);
            Assert.Equal(body, answer.Body);
            Assert.Equal("main", ReleaseApp.VersionOf(answer));
        }

        // Exactly 20 % of the calls were copied; every copy answered differently (another body, or a 500).
        var report = await Poll.UntilAsync(() => server.Client.GetMirrorReportAsync("mmain"), r => r.Targets.Single().Mirrored == 40,
            TimeSpan.FromSeconds(30), "40 mirrored calls");
        var target = report.Targets.Single();
        Assert.Equal(("mtest", 20, 0L, 40L, 40L), (target.Target, report.Ratio, target.Dropped, target.Compared, target.Differed));
        Assert.Equal(new Dictionary<string, long> { ["200"] = 40 }, target.MainStatus);
        Assert.Equal(new Dictionary<string, long> { ["200"] = 36, ["500"] = 4 }, target.MirrorStatus);
        Assert.Equal(40, target.MainLatency.Count);
        Assert.True(target.MirrorLatency.P50Ms > 0);
        Assert.Equal(5, target.Examples.Count);
        Assert.StartsWith("call-", target.Examples[0].MainBody);
        Assert.Contains(target.Examples, e => e.MirrorBody == "changed");
        var shown = await EasCli.RunAsync(server, "mirror", "mmain", "--report");
        Assert.Contains("40 mirrored, 0 dropped", shown.Out);
        Assert.Contains("40 of 40 compared answers differed", shown.Out);
        // The test service's own metrics count the copies.
        Assert.Equal(40, (await server.Client.GetStatsAsync("mtest")).Requests);

        var off = await EasCli.RunAsync(server, "mirror", "mmain", "--off");
        Assert.Contains("no mirroring", off.Out);
        await server.Client.PredictAsync("mmain", main.AccessToken, "after"u8.ToArray());
        Assert.Equal(40, (await server.Client.GetMirrorReportAsync("mmain")).Targets.Single().Mirrored);
    }

    [Fact]
    public async Task A_slow_mirror_drops_copies_and_counts_them_while_every_call_is_answered()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(ReleaseApp.Spec("smain", "main"));
        await server.Client.CreateServiceAsync(ReleaseApp.Spec("sslow", "slow", delayMs: 500));
        var main = await server.WaitForStatusAsync("smain", ServiceStates.Running, 1);
        await server.WaitForStatusAsync("sslow", ServiceStates.Running, 1);
        await server.Client.SetMirrorAsync("smain", 100, ["sslow"]);

        // 16 copies in flight at 500 ms each drain 32 a second; the queue holds 1000: 3000 quick calls overflow it.
        var counts = await ReleaseApp.CountVersionsAsync(server.Client, "smain", main.AccessToken, 3000, concurrency: 8);
        Assert.Equal(new Dictionary<string, int> { ["main"] = 3000 }, counts);

        var report = await server.Client.GetMirrorReportAsync("smain");
        var target = report.Targets.Single();
        Assert.True(target.Dropped > 0, $"dropped {target.Dropped}");
        Assert.True(target.Dropped + target.Mirrored <= 3000);
        Assert.True(target.Dropped >= 3000 - 1000 - target.Mirrored - 16, $"dropped {target.Dropped}, mirrored {target.Mirrored}");
    }
}
