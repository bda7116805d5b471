using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>Blue-green through a service group: the new version waits at weight 0, is checked alone, takes all traffic in one step.</summary>
public class BlueGreenTests
{
    [Fact]
    public async Task Blue_green_switch_and_switch_back_under_steady_load_fail_no_call()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(ReleaseApp.Spec("bg_blue", "blue", group: "bg"));
        var blue = await server.WaitForStatusAsync("bg_blue", ServiceStates.Running, 1);
        await Poll.UntilAsync(() => server.Client.DescribeGroupAsync("bg"), g => g.Members.Count == 1, TimeSpan.FromSeconds(10), "the group");

        await using var traffic = new Traffic(server.Client, "bg", blue.AccessToken, concurrency: 4);
        await traffic.WaitForMoreAsync(200);

        // Green joins at weight 0: no group traffic until switched, but it can be verified alone.
        await server.Client.CreateServiceAsync(ReleaseApp.Spec("bg_green", "green", group: "bg"));
        var green = await server.WaitForStatusAsync("bg_green", ServiceStates.Running, 1);
        await Poll.UntilAsync(() => server.Client.DescribeGroupAsync("bg"), g => g.Members.Count == 2, TimeSpan.FromSeconds(10), "green in the group");
        Assert.Equal(0, (await server.Client.DescribeServiceAsync("bg_green")).Weight);
        Assert.Equal("green", ReleaseApp.VersionOf(await server.Client.PredictAsync("bg.bg_green", green.AccessToken, "x"u8.ToArray())));
        var debug = await EasCli.RunAsync(server, "predict", "bg.bg_green", "-d", "hello");
        Assert.True(debug.Code == 0, debug.Err);
        Assert.Equal("hello", debug.Out.Trim());
        Assert.Equal(["blue"], (await ReleaseApp.CountVersionsAsync(server.Client, "bg", blue.AccessToken, 40)).Keys);

        // Switch in one step, then back (blue stayed warm), then forward again.
        await server.Client.SetGroupWeightsAsync("bg", new Dictionary<string, int> { ["bg_blue"] = 0, ["bg_green"] = 100 });
        Assert.Equal(["green"], (await ReleaseApp.CountVersionsAsync(server.Client, "bg", blue.AccessToken, 40)).Keys);
        await traffic.WaitForMoreAsync(300);

        var back = await EasCli.RunAsync(server, "group", "weight", "bg", "bg_blue=100", "bg_green=0");
        Assert.True(back.Code == 0, back.Err);
        Assert.Equal(["blue"], (await ReleaseApp.CountVersionsAsync(server.Client, "bg", blue.AccessToken, 40)).Keys);
        await traffic.WaitForMoreAsync(300);

        await server.Client.SetGroupWeightsAsync("bg", new Dictionary<string, int> { ["bg_blue"] = 0, ["bg_green"] = 100 });
        await traffic.WaitForMoreAsync(300);
        await traffic.StopAsync();
        Assert.Empty(traffic.Failures);

        // Retire blue: the group is green alone; callers use a token of a member that stays.
        await server.Client.DeleteServiceAsync("bg_blue");
        var group = await Poll.UntilAsync(() => server.Client.DescribeGroupAsync("bg"), g => g.Members.Count == 1, TimeSpan.FromSeconds(30), "blue retired");
        Assert.Equal(("bg_green", 100), (group.Members[0].ServiceName, group.Members[0].Weight));
        Assert.Equal(["green"], (await ReleaseApp.CountVersionsAsync(server.Client, "bg", green.AccessToken, 20)).Keys);
        var events = await server.Client.ListEventsAsync("bg_green");
        Assert.Equal(3, events.Count(e => e.Reason == "WeightChanged"));
    }
}
