using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class AutoscalerTests
{
    [Fact]
    public async Task A_load_burst_scales_the_service_up_with_the_reason_as_an_event()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync($$"""
            {
              "name": "elastic",
              "containers": [{ "script": "exec python3 {{Repo.EchoApp}}" }],
              "metadata": { "instance": 1, "cpu": 0.1, "memory": 64 },
              "autoscaler": { "min": 1, "max": 3, "scaleStrategies": [{ "metricName": "qps", "threshold": 5 }] }
            }
            """);
        Assert.Null(created.Warnings);
        await server.WaitForStatusAsync("elastic", ServiceStates.Running, running: 1);

        await using (var traffic = new Traffic(server.Client, "elastic", created.AccessToken, concurrency: 2))
        {
            await server.WaitForStatusAsync("elastic", ServiceStates.Running, running: 3);
            await traffic.StopAsync();
            Assert.Empty(traffic.Failures);
        }

        var scaled = (await server.Client.ListEventsAsync("elastic", 200)).Where(e => e.Reason == "Autoscaled").ToList();
        Assert.NotEmpty(scaled);
        Assert.Contains("qps", scaled[0].Message, StringComparison.Ordinal);
        Assert.Contains("against target 5", scaled[0].Message, StringComparison.Ordinal);
        Assert.Contains("(panic)", scaled[0].Message, StringComparison.Ordinal);
        Assert.Equal(3, (await server.Client.DescribeServiceAsync("elastic")).DesiredInstance);
    }
}
