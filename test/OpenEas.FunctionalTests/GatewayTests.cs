using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>The gateway's behaviour on the wire: limits, timeouts, streaming, WebSocket, web apps, debugging.</summary>
public class GatewayTests
{
    private static async Task<(TestServer Server, string Token)> StartAsync(string name, int instances = 1, string metadata = "")
    {
        var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.ProgramSpec(name, "gateway_app.py", instances, metadata));
        await server.WaitForStatusAsync(name, ServiceStates.Running, running: instances);
        return (server, created.AccessToken);
    }

    private static HttpClient Http() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private static void AssertGatewayError(PredictResult answer, HttpStatusCode status, string words)
    {
        Assert.Equal(status, answer.Status);
        using var body = JsonDocument.Parse(answer.Body);
        Assert.Equal((int)status, body.RootElement.GetProperty("code").GetInt32());
        Assert.Contains(words, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_past_the_keepalive_gets_408()
    {
        var (server, token) = await StartAsync("slowpoke", metadata: "\"rpc\": {\"keepalive\": 300}");
        await using var _ = server;
        var answer = await server.Client.PredictAsync("slowpoke", token, default, HttpMethod.Get, "slow?ms=3000");
        AssertGatewayError(answer, HttpStatusCode.RequestTimeout, "keepalive (300 ms");
        var quick = await server.Client.PredictAsync("slowpoke", token, default, HttpMethod.Get, "slow?ms=10");
        Assert.Equal(HttpStatusCode.OK, quick.Status);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_whether_or_not_its_length_is_announced()
    {
        var (server, token) = await StartAsync("small", metadata: "\"rpc\": {\"max_body_size\": 1000}");
        await using var _ = server;
        AssertGatewayError(await server.Client.PredictAsync("small", token, new byte[5000]), HttpStatusCode.RequestEntityTooLarge, "1000 bytes");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PredictAsync("small", token, new byte[900])).Status);

        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, server.Endpoint + "/api/predict/small")
        {
            Content = new StreamContent(new MemoryStream(new byte[5000])),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("Authorization", token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Calls_over_the_rate_limit_get_429()
    {
        var (server, token) = await StartAsync("limited", metadata: "\"rpc\": {\"rate_limit\": 3}");
        await using var _ = server;
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => server.Client.PredictAsync("limited", token, "x"u8.ToArray())));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.OK);
        var limited = answers.Where(a => a.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        AssertGatewayError(limited[0], HttpStatusCode.TooManyRequests, "3 calls per second");
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task When_every_instance_is_busy_calls_wait_in_a_bounded_queue_then_get_450()
    {
        var (server, token) = await StartAsync("busy", metadata: "\"rpc\": {\"max_concurrency\": 1, \"max_queue_size\": 1}");
        await using var _ = server;

        var first = server.Client.PredictAsync("busy", token, default, HttpMethod.Get, "slow?ms=1500");
        await Poll.UntilAsync(async () => (await server.Client.GetStatsAsync("busy")).InFlight, n => n == 1, TimeSpan.FromSeconds(10), "the first call in flight");
        var second = server.Client.PredictAsync("busy", token, default, HttpMethod.Get, "slow?ms=10");
        await Poll.UntilAsync(async () => (await server.Client.GetStatsAsync("busy")).Waiting, n => n == 1, TimeSpan.FromSeconds(10), "the second call waiting");

        var third = await server.Client.PredictAsync("busy", token, default, HttpMethod.Get, "slow?ms=10");
        AssertGatewayError(third, (HttpStatusCode)450, "busy");

        Assert.Equal(HttpStatusCode.OK, (await first).Status);
        Assert.Equal(HttpStatusCode.OK, (await second).Status); // it waited, then was served
    }

    [Fact]
    public async Task Server_sent_events_arrive_one_by_one()
    {
        var (server, token) = await StartAsync("streamer");
        await using var _ = server;
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Endpoint + "/api/predict/streamer/sse");
        request.Headers.TryAddWithoutValidation("Authorization", token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var arrivals = new List<(string Line, long At)>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                arrivals.Add((line, Stopwatch.GetTimestamp()));
            }
        }

        Assert.Equal(["data: event 0", "data: event 1", "data: event 2"], arrivals.Select(a => a.Line));
        // The program pauses 0.6 s between events: had the gateway buffered, they would arrive together.
        Assert.True(Stopwatch.GetElapsedTime(arrivals[0].At, arrivals[2].At) > TimeSpan.FromMilliseconds(800));
    }

    [Fact]
    public async Task WebSocket_upgrades_pass_through()
    {
        var (server, token) = await StartAsync("sockets");
        await using var _ = server;
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", token);
        await socket.ConnectAsync(new Uri(server.Endpoint.Replace("http://", "ws://", StringComparison.Ordinal) + "/api/predict/sockets/ws"),
            CancellationToken.None);
        var buffer = new byte[1024];
        foreach (var message in new[] { "hello", "over a websocket", new string('x', 500) })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal(message, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task A_web_app_works_under_its_prefix_with_relative_links()
    {
        var (server, token) = await StartAsync("webapp", metadata: "\"enable_webservice\": true");
        await using var _ = server;
        using var http = Http();

        var bare = await http.GetAsync(server.Endpoint + "/web/webapp");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/web/webapp/", bare.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(server.Endpoint + "/web/webapp/")).StatusCode);

        // The token once in the address; from then on a cookie scoped to the app.
        var signIn = await http.GetAsync(server.Endpoint + "/web/webapp/?token=" + Uri.EscapeDataString(token));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/web/webapp/", signIn.Headers.Location?.OriginalString);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("path=/web/webapp/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);

        async Task<HttpResponseMessage> Get(string url)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("Cookie", cookie.Split(';')[0]);
            return await http.SendAsync(request);
        }

        var page = await Get(server.Endpoint + "/web/webapp/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var pageUri = new Uri(server.Endpoint + "/web/webapp/");
        foreach (var link in new[] { "page2.html", "static/app.css" })
        {
            Assert.Contains($"\"{link}\"", html, StringComparison.Ordinal);
            var linked = await Get(new Uri(pageUri, link).ToString());
            Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
        }

        Assert.Equal("/web/webapp", await (await Get(server.Endpoint + "/web/webapp/prefix")).Content.ReadAsStringAsync());

        // A service that is not a web app is not served there.
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("plain"));
        await server.WaitForStatusAsync("plain", ServiceStates.Running, running: 1);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Endpoint + "/web/plain/")).StatusCode);
    }

    [Fact]
    public async Task Online_debugging_calls_the_service_and_reports_what_it_answered()
    {
        var (server, _) = await StartAsync("debuggee");
        await using var __ = server;
        var answer = await server.Client.DebugAsync("debuggee", new DebugRequest
        {
            Method = "POST",
            Body = "{\"q\": 1}",
            Headers = new() { ["Content-Type"] = "application/json" },
        });
        Assert.Equal(200, answer.Status);
        Assert.Equal("{\"q\": 1}", answer.Body);
        Assert.Equal("application/json", answer.Headers["Content-Type"]);
        Assert.True(answer.ElapsedMs > 0);

        var page = await server.Client.DebugAsync("debuggee", new DebugRequest { Method = "GET", Path = "page2.html" });
        Assert.Equal(200, page.Status);
        Assert.Contains("page two", page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scale_in_under_steady_load_fails_no_call_and_calls_are_logged()
    {
        var (server, token) = await StartAsync("shrinking", instances: 3);
        await using var _ = server;
        await using var traffic = new Traffic(server.Client, "shrinking", token);
        await traffic.WaitForMoreAsync(100);
        await server.Client.ScaleServiceAsync("shrinking", 1);
        await Poll.UntilAsync(() => server.Client.ListInstancesAsync("shrinking"), l => l.Count == 1, TimeSpan.FromSeconds(60), "one instance left");
        await traffic.WaitForMoreAsync(100);
        await traffic.StopAsync();
        Assert.Empty(traffic.Failures);

        var stats = await server.Client.GetStatsAsync("shrinking");
        Assert.True(stats.Success >= 200);
        Assert.Equal(0, stats.ServerErrors);

        var log = Path.Combine(server.DataDir, "logs", "access.log");
        await Poll.UntilAsync(() => File.Exists(log) && File.ReadLines(log).Any(), TimeSpan.FromSeconds(10), "the access log");
        using var line = JsonDocument.Parse(File.ReadLines(log).First());
        Assert.Equal("shrinking", line.RootElement.GetProperty("service").GetString());
        Assert.Equal(200, line.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Killing_an_instance_under_load_fails_at_most_the_calls_it_was_serving()
    {
        var (server, token) = await StartAsync("fragile", instances: 2);
        await using var _ = server;
        await using var traffic = new Traffic(server.Client, "fragile", token, concurrency: 4);
        await traffic.WaitForMoreAsync(100);

        var victim = (await server.Client.ListInstancesAsync("fragile"))[0];
        using (var kill = Process.Start("kill", ["-KILL", "--", "-" + victim.Pid]))
        {
            await kill.WaitForExitAsync();
        }

        await traffic.WaitForMoreAsync(200);
        await traffic.StopAsync();
        Assert.True(traffic.Failures.Count <= 4, string.Join("\n", traffic.Failures));
        await server.WaitForStatusAsync("fragile", ServiceStates.Running, running: 2);
    }
}
