using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class MetricsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Calls_show_up_per_second_per_service_and_instance_with_cpu_and_memory()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("watched", instances: 2));
        await server.WaitForStatusAsync("watched", ServiceStates.Running, running: 2);
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        // Enough calls over long enough (at least 2.5 s) for /proc's 10 ms CPU ticks to register.
        var calls = 0;
        var clock = Stopwatch.StartNew();
        while (calls < 300 || clock.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            Assert.Equal(HttpStatusCode.OK, (await server.Client.PredictAsync("watched", created.AccessToken, "ping"u8.ToArray())).Status);
            calls++;
        }


        var series = await Poll.UntilAsync(() => server.Client.GetMetricsAsync("watched", from: started),
            s => s.Points.Sum(p => p.Requests) >= calls, Wait, "every call to be counted");
        Assert.Equal(calls, series.Points.Sum(p => p.Requests));
        Assert.Equal(calls, series.Points.Sum(p => p.Status2xx));
        Assert.All(series.Points, p => Assert.Equal(1, p.Seconds));
        var busy = series.Points.Where(p => p.Requests > 0).ToList();
        Assert.All(busy, p => Assert.True(p.P50Ms > 0 && p.P99Ms >= p.P50Ms && p.MaxMs >= p.P99Ms));
        Assert.Contains(series.Points, p => p.Instances == 2 && p.MemoryBytes > 0);
        Assert.Contains(series.Points, p => p.CpuPercent > 0);

        var instances = await server.Client.ListInstancesAsync("watched");
        var perInstance = 0L;
        foreach (var instance in instances)
        {
            var points = (await server.Client.GetMetricsAsync("watched", instance.InstanceName, from: started)).Points;
            perInstance += points.Sum(p => p.Requests);
            Assert.Contains(points, p => p.MemoryBytes > 0);
        }

        Assert.Equal(calls, perInstance);
    }

    [Fact]
    public async Task Prometheus_metrics_parse_with_prometheus_own_parser()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("scraped"));
        await server.WaitForStatusAsync("scraped", ServiceStates.Running, running: 1);
        for (var i = 0; i < 20; i++)
        {
            await server.Client.PredictAsync("scraped", created.AccessToken, "x"u8.ToArray());
        }

        await server.Client.PredictAsync("scraped", "wrong", "x"u8.ToArray());

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(server.Endpoint + "/metrics")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Endpoint + "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Admin);
        var text = await Poll.UntilAsync(async () =>
        {
            using var r = new HttpRequestMessage(HttpMethod.Get, server.Endpoint + "/metrics");
            r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Admin);
            using var response = await http.SendAsync(r);
            return await response.Content.ReadAsStringAsync();
        }, t => t.Contains("eas_ready_instances{service=\"scraped\"} 1", StringComparison.Ordinal), Wait, "the ready gauge");

        var samples = Parse(text);
        double Value(string name, params (string Key, string Value)[] labels) => samples
            .Where(s => s.GetProperty("name").GetString() == name
                && labels.All(l => s.GetProperty("labels").TryGetProperty(l.Key, out var v) && v.GetString() == l.Value))
            .Sum(s => s.GetProperty("value").GetDouble());

        Assert.Equal(20, Value("eas_requests_total", ("service", "scraped"), ("code", "2xx")));
        Assert.Equal(1, Value("eas_requests_total", ("service", "scraped"), ("code", "4xx")));
        Assert.Equal(1, Value("eas_gateway_rejections_total", ("service", "scraped")));
        Assert.Equal(21, Value("eas_request_duration_seconds_count", ("service", "scraped")));
        Assert.Equal(21, Value("eas_request_duration_seconds_bucket", ("service", "scraped"), ("le", "+Inf")));
        Assert.Contains(samples, s => s.GetProperty("family").GetString() == "eas_request_duration_seconds"
            && s.GetProperty("type").GetString() == "histogram");
        Assert.Equal(1, Value("eas_ready_instances", ("service", "scraped")));
    }

    [Fact]
    public async Task Metrics_history_survives_a_server_restart()
    {
        var dataDir = TestServer.NewDataDir();
        try
        {
            DateTimeOffset started;
            long counted;
            await using (var first = await TestServer.StartAsync(dataDir))
            {
                var created = await first.Client.CreateServiceAsync(TestServer.EchoSpec("remembered"));
                await first.WaitForStatusAsync("remembered", ServiceStates.Running, running: 1);
                started = DateTimeOffset.UtcNow.AddSeconds(-1);
                for (var i = 0; i < 50; i++)
                {
                    await first.Client.PredictAsync("remembered", created.AccessToken, "x"u8.ToArray());
                }

                var series = await Poll.UntilAsync(() => first.Client.GetMetricsAsync("remembered", from: started),
                    s => s.Points.Sum(p => p.Requests) >= 50, Wait, "the calls to be counted");
                counted = series.Points.Sum(p => p.Requests);
            }

            await using var second = await TestServer.StartAsync(dataDir);
            var after = await second.Client.GetMetricsAsync("remembered", from: started);
            Assert.Equal(counted, after.Points.Sum(p => p.Requests));
        }
        finally
        {
            TestServer.DeleteDataDir(dataDir);
        }
    }

    private static List<JsonElement> Parse(string text)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Programs", "parse_prometheus.py"));
        using var process = Process.Start(psi)!;
        process.StandardInput.Write(text);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "the Prometheus parser rejected /metrics: " + error);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }
}
