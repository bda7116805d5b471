using System.Net;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>Service groups: one endpoint over several services, spread by weight; each member also reachable alone.</summary>
public class GroupTests
{
    [Fact]
    public async Task Group_spreads_10000_calls_by_weight_and_each_member_is_reached_directly()
    {
        await using var server = await TestServer.StartAsync();
        var (a, b, group) = await StartPairAsync(server, "gr");

        // EAS: the first member takes the group's traffic; a later one gets none until given a weight.
        Assert.Equal([("gr_a", 100), ("gr_b", 0)], group.Members.Select(m => (m.ServiceName, m.Weight)));
        Assert.Equal(["a"], (await ReleaseApp.CountVersionsAsync(server.Client, "gr", a.AccessToken, 50)).Keys);

        var run = await EasCli.RunAsync(server, "group", "weight", "gr", "gr_a=90", "gr_b=10");
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("gr_b", run.Out);

        var counts = await ReleaseApp.CountVersionsAsync(server.Client, "gr", a.AccessToken, 10_000);
        Assert.Equal(10_000, counts.GetValueOrDefault("a") + counts.GetValueOrDefault("b"));
        var share = counts["b"] / 10_000.0;
        Assert.InRange(share, 0.085, 0.115);

        // {group}.{service}: one member, with its own token.
        var direct = await server.Client.PredictAsync("gr.gr_b", b.AccessToken, "x"u8.ToArray());
        Assert.Equal("b", ReleaseApp.VersionOf(direct));
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PredictAsync("gr.gr_b", a.AccessToken, "x"u8.ToArray())).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.PredictAsync("gr.nothing", a.AccessToken, "x"u8.ToArray())).Status);
        // Any member's token opens the group; another token does not.
        Assert.True((await server.Client.PredictAsync("gr", b.AccessToken, "x"u8.ToArray())).IsSuccess);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PredictAsync("gr", "wrong-token", "x"u8.ToArray())).Status);

        var described = await server.Client.DescribeServiceAsync("gr_b");
        Assert.Equal(("gr", 10), (described.ServiceGroup, described.Weight));
        var events = await server.Client.ListEventsAsync("gr_b");
        Assert.Contains(events, e => e.Reason == "WeightChanged" && e.Message.Contains("0 → 10", StringComparison.Ordinal));

        // A weight change that would leave the group serving nothing is refused, naming the problem.
        var refused = await EasCli.RunAsync(server, "group", "weight", "gr", "gr_a=0", "gr_b=0");
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("at least one member", refused.Err);
    }

    [Fact]
    public async Task Sticky_header_keeps_each_user_on_one_member()
    {
        await using var server = await TestServer.StartAsync();
        var (a, _, _) = await StartPairAsync(server, "st");
        await server.Client.SetGroupWeightsAsync("st", new Dictionary<string, int> { ["st_a"] = 50, ["st_b"] = 50 });

        var run = await EasCli.RunAsync(server, "group", "sticky", "st", "--header", "X-User");
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("header X-User", run.Out);

        var seen = new Dictionary<string, HashSet<string>>();
        for (var round = 0; round < 4; round++)
        {
            for (var user = 0; user < 40; user++)
            {
                var answer = await server.Client.PredictAsync("st", a.AccessToken, "x"u8.ToArray(), headers: [new("X-User", $"user-{user}")]);
                var version = ReleaseApp.VersionOf(answer);
                if (!seen.TryGetValue($"user-{user}", out var versions))
                {
                    seen[$"user-{user}"] = versions = [];
                }

                versions.Add(version);
            }
        }

        Assert.All(seen, user => Assert.Single(user.Value));
        var perVersion = seen.Values.GroupBy(v => v.Single()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["a", "b"], perVersion.Keys.Order());

        // Calls without the key are still spread by weight.
        var counts = await ReleaseApp.CountVersionsAsync(server.Client, "st", a.AccessToken, 100);
        Assert.Equal((50, 50), (counts.GetValueOrDefault("a"), counts.GetValueOrDefault("b")));
    }

    /// <summary>Two members of a group, <c>{group}_a</c> (version a, joined first) and <c>{group}_b</c> (version b), both Running.</summary>
    private static async Task<(ServiceDescription A, ServiceDescription B, GroupInfo Group)> StartPairAsync(TestServer server, string group)
    {
        await server.Client.CreateServiceAsync(ReleaseApp.Spec(group + "_a", "a", group: group));
        await server.Client.CreateServiceAsync(ReleaseApp.Spec(group + "_b", "b", group: group));
        var a = await server.WaitForStatusAsync(group + "_a", ServiceStates.Running, 1);
        var b = await server.WaitForStatusAsync(group + "_b", ServiceStates.Running, 1);
        var info = await Poll.UntilAsync(() => server.Client.DescribeGroupAsync(group), g => g.Members.Count == 2, TimeSpan.FromSeconds(10), "two members");
        return (a, b, info);
    }
}
