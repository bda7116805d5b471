using System.Net;
using System.Text.Json;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class LifecycleTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Create_reaches_Running_and_answers_through_the_gateway()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("echo"));
        Assert.Equal("echo", created.ServiceName);
        Assert.False(string.IsNullOrEmpty(created.AccessToken));
        Assert.EndsWith("/api/predict/echo", created.IntranetEndpoint);

        await server.WaitForStatusAsync("echo", ServiceStates.Running, running: 1);
        var answer = await server.PredictAsync("echo", "hello openeas");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("hello openeas", answer.BodyText);

        var sub = await server.Client.PredictAsync("echo", created.AccessToken, default, HttpMethod.Get, "some/sub/path?x=1");
        Assert.Equal(HttpStatusCode.OK, sub.Status);
        Assert.Equal("/some/sub/path?x=1", JsonDocument.Parse(sub.Body).RootElement.GetProperty("path").GetString());

        var events = await server.Client.ListEventsAsync("echo");
        Assert.Contains(events, e => e.Reason == "Created");
        Assert.Contains(events, e => e.Reason == ServiceStates.Running);
        Assert.Contains(events, e => e.Reason == "InstanceReady");
    }

    [Fact]
    public async Task Scale_from_1_to_3_and_back_to_1_stops_the_extra_processes()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("scaled"));
        await server.WaitForStatusAsync("scaled", ServiceStates.Running, running: 1);

        var up = await server.Client.ScaleServiceAsync("scaled", 3);
        Assert.Equal("scaled", up.Change);
        await server.WaitForStatusAsync("scaled", ServiceStates.Running, running: 3);
        var three = await server.Client.ListInstancesAsync("scaled");
        Assert.Equal(3, three.Count);
        Assert.All(three, i => Assert.Equal(InstanceStates.Ready, i.Status));
        Assert.Equal(3, three.Select(i => i.Port).Distinct().Count());
        Assert.Equal(3, (await server.Client.DescribeServiceAsync("scaled")).ServiceConfig!["metadata"]!["instance"]!.GetValue<int>());

        await server.Client.ScaleServiceAsync("scaled", 1);
        var one = await Poll.UntilAsync(() => server.Client.ListInstancesAsync("scaled"), l => l.Count == 1, Long, "one instance left");
        var removed = three.Where(i => i.InstanceName != one[0].InstanceName).Select(i => i.Pid!.Value).ToList();
        Assert.Equal(2, removed.Count);
        await Poll.UntilAsync(() => removed.All(pid => !Processes.Alive(pid)), Long, "scaled-in processes to exit");
        await server.WaitForStatusAsync("scaled", ServiceStates.Running, running: 1);
        // Running all along, so only the message tells the count; it must not stay at "3/3".
        var described = await Poll.UntilAsync(() => server.Client.DescribeServiceAsync("scaled"), d => d.Message == "1/1 instances ready", Long,
            "the status message to follow the scale-in");
        Assert.Equal(1, described.CurrentVersion);
    }

    [Fact]
    public async Task Modify_rolls_to_a_new_version_and_back_without_a_failed_request()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("rolling", instances: 2));
        await server.WaitForStatusAsync("rolling", ServiceStates.Running, running: 2);

        await using var traffic = new Traffic(server.Client, "rolling", created.AccessToken);
        await traffic.WaitForMoreAsync(50);

        var modified = await server.Client.ModifyServiceAsync("rolling",
            """{"containers":[{"script":"exec python3 __APP__","port":8000,"env":[{"name":"ECHO_VERSION","value":"2"}]}]}"""
                .Replace("__APP__", Repo.EchoApp, StringComparison.Ordinal));
        Assert.Equal("new-version", modified.Change);
        Assert.Equal(2, modified.Service.LatestVersion);
        await WaitForVersionAsync(server, "rolling", 2, instances: 2);
        await traffic.WaitForMoreAsync(50);
        Assert.Equal("2", await VersionAnsweringAsync(server, "rolling", created.AccessToken));

        var back = await server.Client.SwitchVersionAsync("rolling", 1);
        Assert.Equal(1, back.Service.CurrentVersion);
        await WaitForVersionAsync(server, "rolling", 1, instances: 2);
        await traffic.WaitForMoreAsync(50);
        await traffic.StopAsync();

        Assert.Empty(traffic.Failures);
        Assert.Equal("1", await VersionAnsweringAsync(server, "rolling", created.AccessToken));
        var versions = await server.Client.ListVersionsAsync("rolling");
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.True(versions[0].Current);
        Assert.True(versions[1].Latest);
        var events = await server.Client.ListEventsAsync("rolling", 500);
        Assert.Contains(events, e => e.Reason == "VersionCreated");
        Assert.Contains(events, e => e.Reason == "VersionSwitched");
        Assert.Contains(events, e => e.Reason == ServiceStates.Updating);
    }

    [Fact]
    public async Task Modify_of_only_the_instance_count_scales_without_a_new_version()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("justscale"));
        await server.WaitForStatusAsync("justscale", ServiceStates.Running, running: 1);

        var result = await server.Client.ModifyServiceAsync("justscale", """{"metadata":{"instance":2}}""");
        Assert.Equal("scaled", result.Change);
        Assert.Equal(1, result.Service.LatestVersion);
        await server.WaitForStatusAsync("justscale", ServiceStates.Running, running: 2);

        var same = await server.Client.ModifyServiceAsync("justscale", """{"metadata":{"cpu":0.1}}""");
        Assert.Equal("unchanged", same.Change);

        // A scale made with the scale verb is part of the spec in force: a later change keeps it.
        await server.Client.ScaleServiceAsync("justscale", 3);
        var changed = await server.Client.ModifyServiceAsync("justscale", """{"metadata":{"cpu":0.2}}""");
        Assert.Equal("new-version", changed.Change);
        Assert.Equal(3, changed.Service.DesiredInstance);
        Assert.Equal(3, changed.Service.ServiceConfig!["metadata"]!["instance"]!.GetValue<int>());
        var back = await server.Client.ModifyServiceAsync("justscale", """{"metadata":{"instance":1}}""");
        Assert.Equal("scaled", back.Change);
        await server.WaitForStatusAsync("justscale", ServiceStates.Running, running: 1);
    }

    [Fact]
    public async Task Stop_then_start_brings_the_service_back()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("pausable", instances: 2));
        await server.WaitForStatusAsync("pausable", ServiceStates.Running, running: 2);

        await server.Client.StopServiceAsync("pausable");
        await server.WaitForStatusAsync("pausable", ServiceStates.Stopped);
        Assert.Empty(await server.Client.ListInstancesAsync("pausable"));
        var stopped = await server.Client.PredictAsync("pausable", created.AccessToken, "x"u8.ToArray());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.Status);
        Assert.Contains("\"message\":\"service \\\"pausable\\\" has no ready instance (Stopped: stopped by user)\"", stopped.BodyText);

        await server.Client.StartServiceAsync("pausable");
        await server.WaitForStatusAsync("pausable", ServiceStates.Running, running: 2);
        Assert.Equal(HttpStatusCode.OK, (await server.PredictAsync("pausable", "again")).Status);
    }

    [Fact]
    public async Task Delete_leaves_no_process_behind()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("doomed", instances: 2));
        await server.WaitForStatusAsync("doomed", ServiceStates.Running, running: 2);
        var pids = (await server.Client.ListInstancesAsync("doomed")).Select(i => i.Pid!.Value).ToList();
        Assert.All(pids, pid => Assert.True(Processes.Alive(pid)));

        await server.Client.DeleteServiceAsync("doomed");
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await server.Client.DescribeServiceAsync("doomed");
                return false;
            }
            catch (OpenEas.Client.EasApiException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                return true;
            }
        }, gone => gone, Long, "the service to be gone");

        Assert.All(pids, pid => Assert.False(Processes.Alive(pid), $"pid {pid} is still alive"));
        Assert.Empty(Processes.OfDataDir(server.DataDir));
        var dir = Path.Combine(server.DataDir, "instances", "doomed");
        Assert.False(Directory.Exists(dir), Directory.Exists(dir) ? "left behind: " + string.Join(", ", Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)) : "");
        Assert.DoesNotContain(await server.Client.ListServicesAsync(), s => s.ServiceName == "doomed");
    }

    [Fact]
    public async Task A_crashing_program_backs_off_and_reports_why()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync("""
            { "name": "crashy", "containers": [{ "script": "echo 'boom: missing weights' >&2; exit 3" }],
              "metadata": { "instance": 1, "cpu": 0.1, "memory": 64 } }
            """);

        var failed = await server.WaitForStatusAsync("crashy", ServiceStates.Failed);
        Assert.Contains("exited with code 3", failed.Reason + " " + failed.Message);

        var instance = await Poll.UntilAsync(() => server.Client.ListInstancesAsync("crashy"),
            l => l.Count == 1 && l[0].RestartCount >= 3, Long, "three restarts");
        Assert.Equal("CrashLoopBackOff", instance[0].Reason);
        Assert.Equal(3, instance[0].LastState!.ExitCode);

        // Each restart waits twice as long as the one before.
        var events = await server.Client.ListEventsAsync("crashy", 500);
        var delays = events
            .Where(e => e.Type == "Warning" && e.Message.Contains("restarting in", StringComparison.Ordinal))
            .Select(e => double.Parse(e.Message.Split("restarting in ")[1].Split('s')[0], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(delays.Count >= 3, string.Join("\n", events.Select(e => $"{e.Time:HH:mm:ss.fff} {e.Type} {e.Reason} {e.Message}")));
        Assert.Equal([1, 2, 4], delays.Take(3));

        var logs = await server.Client.GetLogsAsync("crashy");
        Assert.Contains("boom: missing weights", logs);
    }

    [Fact]
    public async Task An_instance_too_big_for_the_node_stays_Waiting_with_the_reason()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("huge", cpu: 64));
        var waiting = await server.WaitForStatusAsync("huge", ServiceStates.Waiting);
        Assert.Contains("needs cpu 64", waiting.Reason);
        Assert.Contains("waiting for resources", waiting.Reason);
        var instances = await server.Client.ListInstancesAsync("huge");
        Assert.Equal(InstanceStates.Pending, Assert.Single(instances).Status);
        Assert.Null(instances[0].Pid);

        // Making it fit lets it run.
        await server.Client.ModifyServiceAsync("huge", """{"metadata":{"cpu":0.5}}""");
        await server.WaitForStatusAsync("huge", ServiceStates.Running, running: 1);
    }

    [Fact]
    public async Task Logs_of_an_instance_are_served_and_followed()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("chatty"));
        await server.WaitForStatusAsync("chatty", ServiceStates.Running, running: 1);
        var instance = (await server.Client.ListInstancesAsync("chatty")).Single().InstanceName;

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        var follow = Task.Run(async () =>
        {
            await foreach (var line in server.Client.FollowLogsAsync("chatty", instance, tail: 10, cts.Token))
            {
                lines.Add(line);
                if (line.Contains("/marker-42", StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        });
        var token = (await server.Client.DescribeServiceAsync("chatty")).AccessToken;
        await Poll.UntilAsync(async () =>
        {
            await server.Client.PredictAsync("chatty", token, default, HttpMethod.Get, "marker-42");
            return follow.IsCompleted;
        }, done => done, TimeSpan.FromSeconds(20), "the followed log to show the request");
        Assert.True(await follow);
        Assert.Contains(lines, l => l.Contains("listening on", StringComparison.Ordinal));
    }

    private static async Task WaitForVersionAsync(TestServer server, string name, int version, int instances)
    {
        await Poll.UntilAsync(async () =>
        {
            var d = await server.Client.DescribeServiceAsync(name);
            var list = await server.Client.ListInstancesAsync(name);
            return (d, list);
        }, x => x.d.CurrentVersion == version && x.d.Status == ServiceStates.Running && x.list.Count == instances
            && x.list.All(i => i.Version == version && i.Ready), Long, $"{name} to run version {version} on {instances} instances");
    }

    private static async Task<string> VersionAnsweringAsync(TestServer server, string name, string token)
    {
        var answer = await server.Client.PredictAsync(name, token, default, HttpMethod.Get, "");
        return JsonDocument.Parse(answer.Body).RootElement.GetProperty("version").GetString()!;
    }
}
