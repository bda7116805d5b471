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
        var described = await server.Client.DescribeServiceAsync("elastic");
        Assert.Equal(3, described.DesiredInstance);
        Assert.Equal((1, 3, "spec"), (described.Scaling!.Min, described.Scaling.Max, described.Scaling.Source));
        Assert.Equal(["qps 5/inst"], described.Scaling.Targets);
        Assert.Contains(described.Scaling.Recent, e => e.Message.Contains("(panic)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_load_step_scales_the_service_up_and_the_p99_recovers()
    {
        // One call at a time per instance (20 ms each): four concurrent callers queue behind each other on one
        // instance, and stop queueing once there are four.
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync($$"""
            {
              "name": "stepped",
              "containers": [{ "script": "exec python3 {{Path.Combine(AppContext.BaseDirectory, "Programs", "service_time.py")}}" }],
              "metadata": { "instance": 1, "cpu": 0.1, "memory": 64, "rpc": { "max_concurrency": 1, "max_queue_size": 100 } },
              "autoscaler": { "min": 1, "max": 4, "scaleStrategies": [{ "metricName": "qps", "threshold": 5 }] }
            }
            """);
        await server.WaitForStatusAsync("stepped", ServiceStates.Running, running: 1);

        var stepAt = DateTimeOffset.UtcNow;
        await using var traffic = new Traffic(server.Client, "stepped", created.AccessToken, concurrency: 4, echo: false);
        await server.WaitForStatusAsync("stepped", ServiceStates.Running, running: 4);
        var scaledAt = DateTimeOffset.UtcNow;

        // Three whole seconds of metrics with four instances, the load still on.
        var series = await Poll.UntilAsync(() => server.Client.GetMetricsAsync("stepped", from: stepAt.AddSeconds(-1)),
            m => m.Points.Count(p => p.Requests > 0 && p.Time > scaledAt.AddSeconds(1)) >= 3, TimeSpan.FromSeconds(30), "3 seconds of metrics after scaling");
        await traffic.StopAsync();
        Assert.Empty(traffic.Failures);

        var points = series.Points.Where(p => p.Requests > 0).ToList();
        var before = points.Where(p => p.Time < scaledAt).ToList();
        var after = points.Where(p => p.Time > scaledAt.AddSeconds(1)).ToList();
        Assert.NotEmpty(before);
        var worstBefore = before.Max(p => p.P99Ms);
        var recovered = after.Select(p => p.P99Ms).Order().ElementAt(after.Count / 2);
        Assert.True(recovered * 2 < worstBefore,
            $"p99 {worstBefore:0.0} ms with one instance, {recovered:0.0} ms (median) with four: {string.Join(", ", points.Select(p => $"{p.P99Ms:0}"))}");
    }
}

public class ScaleFromZeroTests
{
    [Fact]
    public async Task A_call_to_a_service_at_zero_instances_is_held_until_one_starts_and_then_answered()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync($$"""
            {
              "name": "sleepy",
              "containers": [{ "script": "exec python3 {{Repo.EchoApp}}" }],
              "metadata": { "instance": 0, "cpu": 0.1, "memory": 64 },
              "autoscaler": { "min": 0, "max": 2, "scaleStrategies": [{ "metricName": "qps", "threshold": 50 }] }
            }
            """);
        await server.WaitForStatusAsync("sleepy", ServiceStates.Running, running: 0);
        Assert.Empty(await server.Client.ListInstancesAsync("sleepy"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            server.Client.PredictAsync("sleepy", created.AccessToken, System.Text.Encoding.UTF8.GetBytes($"wake up {i}"))));
        for (var i = 0; i < answers.Length; i++)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, answers[i].Status);
            Assert.Equal($"wake up {i}", answers[i].BodyText);
        }

        Assert.Equal(1, (await server.Client.DescribeServiceAsync("sleepy")).DesiredInstance);
        var events = await server.Client.ListEventsAsync("sleepy", 200);
        Assert.Contains(events, e => e.Reason == "Autoscaled" && e.Message.Contains("arrived at zero", StringComparison.Ordinal));
        var coldStart = await Poll.UntilAsync(() => server.Client.ListEventsAsync("sleepy", 200),
            list => list.Any(e => e.Reason == "ColdStart"), TimeSpan.FromSeconds(10), "the cold start to be reported");
        Assert.Single(coldStart, e => e.Reason == "ColdStart");
        Assert.Contains(" ms", coldStart.Single(e => e.Reason == "ColdStart").Message, StringComparison.Ordinal);
    }
}

public class AutoscaleCommandTests
{
    [Fact]
    public async Task The_autoscaler_is_set_and_turned_off_without_a_new_version()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("tunable"));
        await server.WaitForStatusAsync("tunable", ServiceStates.Running, running: 1);

        async Task<(int Code, string Out, string Err)> Eas(params string[] args)
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = await OpenEas.Cli.CliApp.RunAsync([.. args, "--endpoint", server.Endpoint, "--admin-token", TestServer.Admin],
                stdout, stderr, new StringReader(""));
            return (code, stdout.ToString(), stderr.ToString());
        }

        var none = await Eas("autoscale", "tunable");
        Assert.Contains("no autoscaler", none.Out, StringComparison.Ordinal);

        var set = await Eas("autoscale", "tunable", "-Dmin=1", "-Dmax=3", "-Dstrategies.qps=5");
        Assert.True(set.Code == 0, set.Err);
        var shown = await server.Client.GetAutoscalerAsync("tunable");
        Assert.Equal("api", shown["source"]!.GetValue<string>());
        Assert.Equal(3, shown["autoscaler"]!["max"]!.GetValue<int>());

        var more = await Eas("autoscale", "tunable", "-Dmax=4");
        Assert.True(more.Code == 0, more.Err);
        Assert.Equal(5, (await server.Client.GetAutoscalerAsync("tunable"))["autoscaler"]!["strategies"]!["qps"]!.GetValue<int>());

        var bad = await Eas("autoscale", "tunable", "-Dmin=9", "-Dmax=2");
        Assert.Equal(OpenEas.Cli.ExitCodes.InvalidSpec, bad.Code);
        Assert.Contains("autoscaler.min", bad.Err, StringComparison.Ordinal);

        var off = await Eas("autoscale", "tunable", "--off");
        Assert.True(off.Code == 0, off.Err);
        Assert.Equal("none", (await server.Client.GetAutoscalerAsync("tunable"))["source"]!.GetValue<string>());

        var described = await server.Client.DescribeServiceAsync("tunable");
        Assert.Equal(1, described.LatestVersion);
        var events = await server.Client.ListEventsAsync("tunable", 100);
        Assert.Contains(events, e => e.Reason == "AutoscalerSet");
        Assert.Contains(events, e => e.Reason == "AutoscalerOff");
    }
}
