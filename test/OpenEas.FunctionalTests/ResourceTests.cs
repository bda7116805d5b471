using OpenEas.Cli;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>Resource groups with real instances: placement by declared capacity, the elastic pool, spot preemption.</summary>
public class ResourceTests
{
    private static Task<ResourceGroupInfo> CreateGroupAsync(TestServer server, string name, double cpu, long memory, bool spot = false) =>
        server.Client.CreateResourceAsync(new ResourceGroupRequest { Name = name, Cpu = cpu, Memory = memory, Spot = spot });

    private static Task<List<InstanceInfo>> WaitForInstancesAsync(TestServer server, string service, Func<List<InstanceInfo>, bool> done, string what) =>
        Poll.UntilAsync(() => server.Client.ListInstancesAsync(service), done, TimeSpan.FromSeconds(60), what);

    [Fact]
    public async Task A_call_to_a_service_that_waits_for_resources_is_told_why()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("huge", instances: 1, cpu: 64));
        await server.WaitForStatusAsync("huge", ServiceStates.Waiting);

        var answer = await Poll.UntilAsync(() => server.Client.PredictAsync("huge", created.AccessToken, "x"u8.ToArray()),
            a => a.BodyText.Contains("Waiting", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the 503 to carry the reason");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Contains("has no ready instance (Waiting: 1 of 1 instance(s) waiting for resources: needs cpu 64", answer.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dedicated_group_places_what_fits_and_the_rest_waits_with_the_reason()
    {
        await using var server = await TestServer.StartAsync();
        var group = await CreateGroupAsync(server, "team-a", cpu: 1, memory: 1000);
        Assert.Equal("Dedicated", group.ResourceType);

        await server.Client.CreateServiceAsync(TestServer.EchoSpec("placed", instances: 3, cpu: 0.4, extraMetadata: """, "resource": "team-a" """));
        var instances = await WaitForInstancesAsync(server, "placed",
            l => l.Count(i => i.Ready) == 2 && l.Count(i => i.Status == InstanceStates.Pending) == 1, "2 ready and 1 waiting");
        Assert.All(instances.Where(i => i.Ready), i => Assert.Equal("team-a", i.ResourceGroup));
        var waiting = Assert.Single(instances, i => i.Status == InstanceStates.Pending);
        Assert.Equal("Unschedulable", waiting.Reason);
        Assert.Contains("team-a has cpu 0.2 of 1", waiting.Message);

        var described = await server.Client.DescribeServiceAsync("placed");
        Assert.Equal(ServiceStates.Waiting, described.Status);
        Assert.Equal("team-a", described.Resource);
        var used = await server.Client.GetResourceAsync("team-a");
        Assert.Equal(0.8, used.UsedCpu, 3);
        Assert.Equal(2, used.Instances!.Count);
        Assert.Equal(["placed"], used.Services);
        var all = await server.Client.ListResourcesAsync();
        Assert.Equal(["public", "team-a"], all.Select(g => g.ResourceName));
        Assert.Equal(0, all[0].InstanceCount);

        // More capacity: the waiting instance starts, and the calls go through.
        await server.Client.UpdateResourceAsync("team-a", new ResourceGroupRequest { Cpu = 2, Memory = 1000 });
        await server.WaitForStatusAsync("placed", ServiceStates.Running, running: 3);
        Assert.Equal("hi", (await server.PredictAsync("placed", "hi")).BodyText);

        // A group in use cannot go; a spec naming a missing group is refused with the path.
        var inUse = await Assert.ThrowsAsync<EasApiException>(() => server.Client.DeleteResourceAsync("team-a"));
        Assert.Equal(409, (int?)inUse.Status);
        Assert.Contains("placed", inUse.Message);
        var missing = await Assert.ThrowsAsync<EasApiException>(() =>
            server.Client.CreateServiceAsync(TestServer.EchoSpec("lost", extraMetadata: """, "resource": "nowhere" """)));
        Assert.Equal(400, (int?)missing.Status);
        Assert.Contains(missing.Errors, e => e.Path == "metadata.resource" && e.Message.Contains("\"nowhere\" does not exist"));

        await server.Client.DeleteServiceAsync("placed");
        await Poll.UntilAsync(() => server.Client.ListServicesAsync(), l => l.Count == 0, TimeSpan.FromSeconds(30), "the service to be gone");
        await server.Client.DeleteResourceAsync("team-a");
        Assert.Equal(["public"], (await server.Client.ListResourcesAsync()).Select(g => g.ResourceName));
    }

    [Fact]
    public async Task A_burstable_service_overflows_into_public_and_the_overflow_goes_first_on_scale_in()
    {
        await using var server = await TestServer.StartAsync();
        await CreateGroupAsync(server, "small", cpu: 0.5, memory: 1000);
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("bursty", instances: 4, cpu: 0.25,
            extraMetadata: """, "resource": "small", "resource_burstable": true """));
        await server.WaitForStatusAsync("bursty", ServiceStates.Running, running: 4);
        var instances = await server.Client.ListInstancesAsync("bursty");
        Assert.Equal(2, instances.Count(i => i.ResourceGroup == "small" && !i.Overflow));
        Assert.Equal(2, instances.Count(i => i.ResourceGroup == "public" && i.Overflow));

        // Scale in: the two in the public pool go, even though they are the newest only by chance.
        var token = (await server.Client.DescribeServiceAsync("bursty")).AccessToken;
        await using var traffic = new Traffic(server.Client, "bursty", token);
        await traffic.WaitForMoreAsync(20);
        await server.Client.ScaleServiceAsync("bursty", 2);
        var after = await WaitForInstancesAsync(server, "bursty", l => l.Count == 2 && l.All(i => i.Ready), "2 instances");
        Assert.All(after, i => Assert.Equal(("small", false), (i.ResourceGroup, i.Overflow)));
        await traffic.WaitForMoreAsync(20);
        await traffic.StopAsync();
        Assert.Empty(traffic.Failures);
    }

    [Fact]
    public async Task A_spot_preemption_under_steady_load_fails_no_request()
    {
        await using var server = await TestServer.StartAsync();
        await CreateGroupAsync(server, "cheap", cpu: 0.2, memory: 128, spot: true);
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("spotty", instances: 2, cpu: 0.1,
            extraMetadata: """, "resource": "cheap", "resource_fallback": ["public"] """));
        await server.WaitForStatusAsync("spotty", ServiceStates.Running, running: 2);
        var before = await server.Client.ListInstancesAsync("spotty");
        Assert.All(before, i => Assert.Equal(("cheap", true, false), (i.ResourceGroup, i.Spot, i.Overflow)));

        await using var traffic = new Traffic(server.Client, "spotty", created.AccessToken);
        await traffic.WaitForMoreAsync(30);
        var notice = await server.Client.PreemptAsync("cheap", new PreemptRequest { NoticeSeconds = 8, ReclaimSeconds = 600 });
        Assert.Equal(before.Select(i => i.InstanceName).Order(), notice.Instances.Order());
        Assert.Equal(0.2, notice.ReclaimedCpu, 3);

        // Replacements come up in the fallback group; the doomed leave once they are Ready, well before the deadline.
        var after = await WaitForInstancesAsync(server, "spotty",
            l => l.Count == 2 && l.All(i => i.Ready && i.ResourceGroup == "public" && i.Overflow), "2 replacements in public");
        Assert.DoesNotContain(after, i => before.Any(b => b.InstanceName == i.InstanceName));
        await traffic.WaitForMoreAsync(30);
        await traffic.StopAsync();
        Assert.Empty(traffic.Failures);

        var events = await server.Client.ListEventsAsync("spotty", 200);
        Assert.Equal(2, events.Count(e => e.Reason == "Preempted"));
        Assert.Contains(events, e => e.Reason == "InstanceDraining" && e.Message.Contains("its replacement is ready"));
        var group = await server.Client.GetResourceAsync("cheap");
        Assert.Equal(0.2, group.ReclaimedCpu, 3);
        Assert.NotNull(group.ReclaimedUntil);

        // A service with no fallback waits, and says the spot capacity was reclaimed.
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("stranded", cpu: 0.1, extraMetadata: """, "resource": "cheap" """));
        var stranded = await WaitForInstancesAsync(server, "stranded", l => l.Count == 1 && l[0].Reason == "Unschedulable", "a waiting instance");
        Assert.Contains("reclaimed by a preemption", stranded[0].Message);
    }

    [Fact]
    public async Task Preemption_kills_what_is_left_at_the_deadline_and_refuses_non_spot_groups()
    {
        await using var server = await TestServer.StartAsync();
        await CreateGroupAsync(server, "solid", cpu: 1, memory: 512);
        await CreateGroupAsync(server, "flaky", cpu: 1, memory: 512, spot: true);
        var notSpot = await Assert.ThrowsAsync<EasApiException>(() => server.Client.PreemptAsync("solid", new PreemptRequest()));
        Assert.Equal(409, (int?)notSpot.Status);
        var unknown = await Assert.ThrowsAsync<EasApiException>(() => server.Client.PreemptAsync("nope", new PreemptRequest()));
        Assert.Equal(404, (int?)unknown.Status);

        // No fallback: no replacement can start, so the instance serves until shortly before the deadline, then goes.
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("doomed", cpu: 0.5, extraMetadata: """, "resource": "flaky" """));
        await server.WaitForStatusAsync("doomed", ServiceStates.Running, running: 1);
        var notice = await server.Client.PreemptAsync("flaky", new PreemptRequest { NoticeSeconds = 2, ReclaimSeconds = 3 });
        var preempted = Assert.Single(notice.Instances);
        // The replacement is listed as soon as it exists; its waiting reason comes with the pass that tries to place it.
        var listed = await WaitForInstancesAsync(server, "doomed",
            l => l.Count == 2 && l.Any(i => i.InstanceName != preempted && i.Message.Length > 0), "a waiting replacement next to the preempted instance");
        var marked = Assert.Single(listed, i => i.InstanceName == preempted);
        Assert.NotNull(marked.PreemptAt);
        Assert.True(marked.Ready);
        var replacement = Assert.Single(listed, i => i.InstanceName != preempted);
        Assert.Contains("reclaimed by a preemption", replacement.Message);
        await Poll.UntilAsync(() => server.Client.ListInstancesAsync("doomed"),
            l => l.All(i => i.InstanceName != marked.InstanceName), TimeSpan.FromSeconds(30), "the preempted instance to be gone");

        // The capacity comes back after the reclaim period, and a new instance starts there.
        await server.WaitForStatusAsync("doomed", ServiceStates.Running, running: 1, seconds: 60);
        var back = Assert.Single(await server.Client.ListInstancesAsync("doomed"));
        Assert.Equal("flaky", back.ResourceGroup);
    }

    [Fact]
    public async Task The_resource_verbs_work_from_the_cli()
    {
        await using var server = await TestServer.StartAsync();
        var create = await EasCli.RunAsync(server, "resource", "create", "gpu-pool", "--cpu", "4", "--memory", "8000", "--gpu", "2", "--spot");
        Assert.True(create.Code == ExitCodes.Success, create.Err);
        Assert.Contains("Resource group gpu-pool created: cpu 4, memory 8000 MB, gpu 2, spot.", create.Out);

        var ls = await EasCli.RunAsync(server, "resource", "ls");
        Assert.Equal(ExitCodes.Success, ls.Code);
        Assert.Contains("gpu-pool", ls.Out);
        Assert.Contains("Dedicated (spot)", ls.Out);
        Assert.Contains("public", ls.Out);

        var desc = await EasCli.RunAsync(server, "resource", "desc", "gpu-pool");
        Assert.Equal(ExitCodes.Success, desc.Code);
        Assert.Contains("0/4", desc.Out);

        var bad = await EasCli.RunAsync(server, "resource", "create", "Bad Name", "--cpu", "1", "--memory", "10");
        Assert.Equal(ExitCodes.InvalidSpec, bad.Code);
        Assert.Contains("lowercase letters", bad.Err);
        Assert.DoesNotContain("   at ", bad.Err);

        var delete = await EasCli.RunAsync(server, "resource", "delete", "gpu-pool");
        Assert.True(delete.Code == ExitCodes.Success, delete.Err);
        var gone = await EasCli.RunAsync(server, "resource", "desc", "gpu-pool");
        Assert.Equal(ExitCodes.NotFound, gone.Code);
        Assert.Contains("resource group \"gpu-pool\" not found", gone.Err);
    }
}
