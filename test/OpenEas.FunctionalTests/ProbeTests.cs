using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class ProbeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static string Spec(string name) => $$"""
        {
          "name": "{{name}}",
          "containers": [{
            "script": "exec python3 {{Path.Combine(AppContext.BaseDirectory, "Programs", "probed.py")}}",
            "port": 8000,
            "readiness_check": { "http_get": { "path": "/ready", "port": 8000 }, "period_seconds": 1, "failure_threshold": 1 },
            "liveness_check": { "http_get": { "path": "/alive" }, "period_seconds": 1, "failure_threshold": 2 }
          }],
          "metadata": { "instance": 1, "cpu": 0.1, "memory": 64 }
        }
        """;

    [Fact]
    public async Task Readiness_gates_traffic_and_liveness_restarts_a_sick_instance()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(Spec("probed"));

        // Listening is not enough: /ready says 503, so no traffic and the service is not Running.
        var instance = await Poll.UntilAsync(() => server.Client.ListInstancesAsync("probed"),
            l => l.Count == 1 && l[0].Pid is not null && l[0].Message.Contains("/ready", StringComparison.Ordinal), Wait, "the readiness check to fail");
        Assert.False(instance[0].Ready);
        var refused = await server.Client.PredictAsync("probed", created.AccessToken, "x"u8.ToArray());
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.Status);

        var dir = Path.Combine(server.DataDir, "instances", "probed", instance[0].InstanceName);
        await File.WriteAllTextAsync(Path.Combine(dir, "ready"), "");
        await server.WaitForStatusAsync("probed", ServiceStates.Running, running: 1);
        var firstPid = (await server.Client.PredictAsync("probed", created.AccessToken, "x"u8.ToArray())).BodyText;
        Assert.Equal(instance[0].Pid.ToString(), firstPid);

        // Sick: liveness fails twice → the instance is killed and started again (same instance, new process).
        await File.WriteAllTextAsync(Path.Combine(dir, "sick"), "");
        var restarted = await Poll.UntilAsync(() => server.Client.ListInstancesAsync("probed"),
            l => l.Count == 1 && l[0].RestartCount >= 1, Wait, "the liveness restart");
        File.Delete(Path.Combine(dir, "sick"));
        await server.WaitForStatusAsync("probed", ServiceStates.Running, running: 1);
        var after = await server.Client.ListInstancesAsync("probed");
        Assert.Equal(instance[0].InstanceName, after[0].InstanceName);
        Assert.NotEqual(instance[0].Pid, after[0].Pid);
        Assert.Contains(await server.Client.ListEventsAsync("probed", 200), e => e.Reason == "LivenessProbeFailed" && e.Message.Contains("/alive", StringComparison.Ordinal));
        Assert.True(restarted[0].RestartCount >= 1);
    }
}
