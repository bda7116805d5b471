using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenEas.Client.Queue;
using OpenEas.Contracts.Queue;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>
/// The EAS queue protocol of an async service, call by call, against a real server; run once per queue backend
/// (<see cref="SqliteQueueTests"/>, <see cref="RedisQueueTests"/>), which must behave the same.
/// </summary>
public abstract class QueueTests
{
    private const string Protobuf = "application/vnd.google.protobuf";
    private protected static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    /// <summary>An async service running Programs/queue_worker.py.</summary>
    internal static string WorkerSpec(string name, int instances, string queue = "{}", string extra = "") => $$"""
        {
          "name": "{{name}}",
          "containers": [{ "script": "exec python3 {{Path.Combine(AppContext.BaseDirectory, "Programs", "queue_worker.py")}}" }],
          "metadata": { "instance": {{instances}}, "cpu": 0.1, "memory": 64, "type": "Async" },
          "queue": {{queue}} {{extra}}
        }
        """;

    [Fact]
    public async Task Put_get_search_attributes_commit_delete_and_truncate_answer_in_EAS_shapes()
    {
        await using var server = await StartServerAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("q1", 0));
        var token = (await server.Client.DescribeServiceAsync("q1")).AccessToken;
        using var http = new HttpClient();
        var url = server.Endpoint + "/api/predict/q1";
        await Poll.UntilAsync(async () => (await Send(http, HttpMethod.Get, url + "?_attrs_=true", token)).StatusCode, s => s == HttpStatusCode.OK,
            Long, "the queue to be served");

        // put: the body is the new index as text; the request id comes back in a header; other query params are tags.
        using (var put = await Send(http, HttpMethod.Post, url + "?requestId=r-1&lang=en", token, "first"u8.ToArray()))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal("1", await put.Content.ReadAsStringAsync());
            Assert.Equal("r-1", put.Headers.GetValues("X-Eas-Queueservice-Request-Id").Single());
            // Framed by its length, not chunked: EAS queue clients read the index as the whole body.
            Assert.Equal(1, put.Content.Headers.ContentLength);
            Assert.Null(put.Headers.TransferEncodingChunked);
        }

        string generated;
        using (var put = await Send(http, HttpMethod.Post, url, token, "second"u8.ToArray()))
        {
            Assert.Equal("2", await put.Content.ReadAsStringAsync());
            generated = put.Headers.GetValues("X-Eas-Queueservice-Request-Id").Single();
            Assert.False(string.IsNullOrEmpty(generated));
        }

        // get: a DataFrameListProto, oldest first, tags and data intact; nothing removed without _auto_delete_.
        using (var get = await Send(http, HttpMethod.Get, url + "?_index_=0&_length_=10&_timeout_=1s&_raw_=false&_auto_delete_=false", token,
            accept: Protobuf))
        {
            Assert.Equal(Protobuf, get.Content.Headers.ContentType!.MediaType);
            var list = DataFrameListProto.Parser.ParseFrom(await get.Content.ReadAsByteArrayAsync());
            Assert.Equal([1UL, 2UL], list.Index.Select(f => f.Index));
            Assert.Equal("first", list.Index[0].Data.ToStringUtf8());
            Assert.Equal("en", list.Index[0].Tags["lang"]);
            Assert.Equal("r-1", list.Index[0].Tags["requestId"]);
            Assert.Equal(generated, list.Index[1].Tags["requestId"]);
        }

        // get by requestId; 204 for one that is not there.
        using (var get = await Send(http, HttpMethod.Get, url + "?_index_=0&_length_=1&_timeout_=0s&requestId=" + generated, token))
        {
            Assert.Equal("second", DataFrameListProto.Parser.ParseFrom(await get.Content.ReadAsByteArrayAsync()).Index.Single().Data.ToStringUtf8());
        }

        using (var get = await Send(http, HttpMethod.Get, url + "?_timeout_=0s&requestId=nope", token))
        {
            Assert.Equal(HttpStatusCode.NoContent, get.StatusCode);
        }

        // search: the entry with that index; attributes: a JSON map of strings.
        using (var search = await Send(http, HttpMethod.Get, url + "?_search_=true&_index_=2", token))
        {
            Assert.Equal("second", DataFrameProto.Parser.ParseFrom(await search.Content.ReadAsByteArrayAsync()).Data.ToStringUtf8());
        }

        var attrs = await Attributes(http, url, token);
        Assert.Equal("2", attrs["stream.length"]);
        Assert.Equal("2", attrs["stream.lastEntry"]);
        Assert.Equal((8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), attrs["meta.maxPayloadBytes"]);

        // commit and delete remove entries.
        using (var commit = await Send(http, HttpMethod.Put, url + "?_indexes_=1", token))
        {
            Assert.Equal(HttpStatusCode.OK, commit.StatusCode);
        }

        Assert.Equal("1", (await Attributes(http, url, token))["stream.length"]);
        (await Send(http, HttpMethod.Delete, url + "?_indexes_=2", token)).Dispose();
        Assert.Equal("0", (await Attributes(http, url, token))["stream.length"]);

        // Indexes are never reused, even when the queue was emptied; truncate removes everything below an index.
        var queue = new QueueClient(server.Endpoint, "q1", token);
        Assert.Equal(3, (await queue.PutAsync("c"u8.ToArray())).Index);
        Assert.Equal(4, (await queue.PutAsync("d"u8.ToArray())).Index);
        Assert.Equal(5, (await queue.PutAsync("e"u8.ToArray())).Index);
        await queue.TruncateAsync(5);
        Assert.Equal([5UL], (await queue.GetAsync(0, 10, TimeSpan.Zero)).Select(f => f.Index));
        Assert.Null(await queue.SearchAsync(4));

        // get with _auto_delete_ removes what it returns.
        Assert.Single(await queue.GetAsync(0, 10, TimeSpan.Zero, autoDelete: true));
        Assert.Equal("0", (await queue.AttributesAsync())["stream.length"]);

        // A long poll waits for data.
        var waiting = queue.GetAsync(6, 1, TimeSpan.FromSeconds(30));
        await queue.PutAsync("late"u8.ToArray());
        Assert.Equal("late", (await waiting).Single().Data.ToStringUtf8());
    }

    [Fact]
    public async Task A_full_queue_answers_429_and_a_too_large_entry_413_with_clear_messages()
    {
        await using var server = await StartServerAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("q2", 0, """{ "max_length": 2, "max_payload_size_kb": 1 }"""));
        var token = (await server.Client.DescribeServiceAsync("q2")).AccessToken;
        using var queue = new QueueClient(server.Endpoint, "q2", token);
        await Poll.UntilAsync(async () => await Attempt(() => queue.AttributesAsync()), ok => ok, Long, "the queue to be served");

        await queue.PutAsync("a"u8.ToArray());
        await queue.PutAsync("b"u8.ToArray());
        var full = await Assert.ThrowsAsync<QueueException>(() => queue.PutAsync("c"u8.ToArray()));
        Assert.Equal(HttpStatusCode.TooManyRequests, full.Status);
        Assert.Contains("queue.max_length", full.Message, StringComparison.Ordinal);

        var large = await Assert.ThrowsAsync<QueueException>(() => queue.PutAsync(new byte[1025]));
        Assert.Equal((HttpStatusCode)413, large.Status);
        Assert.Contains("max_payload_size_kb", large.Message, StringComparison.Ordinal);

        // The refused puts took no index.
        await queue.DeleteAsync([1]);
        Assert.Equal(3, (await queue.PutAsync("c"u8.ToArray())).Index);

        // Auth as for sync calls; unknown sub-paths are named.
        using var wrong = new QueueClient(server.Endpoint, "q2", "not-the-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Assert.ThrowsAsync<QueueException>(() => wrong.AttributesAsync())).Status);
        using var other = new QueueClient(server.Endpoint, "q2/other", token);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<QueueException>(() => other.AttributesAsync())).Status);
    }

    [Fact]
    public async Task A_watch_with_window_2_never_holds_more_than_2_uncommitted()
    {
        await using var server = await StartServerAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("q3", 0));
        var token = (await server.Client.DescribeServiceAsync("q3")).AccessToken;
        using var queue = new QueueClient(server.Endpoint, "q3", token);
        await Poll.UntilAsync(async () => await Attempt(() => queue.AttributesAsync()), ok => ok, Long, "the queue to be served");
        for (var i = 1; i <= 6; i++)
        {
            await queue.PutAsync(Encoding.UTF8.GetBytes("item" + i));
        }

        using var cts = new CancellationTokenSource(Long);
        await using var watch = queue.WatchAsync(index: 0, window: 2, ct: cts.Token).GetAsyncEnumerator(cts.Token);
        var received = new List<ulong>();
        async Task<ulong> Next()
        {
            Assert.True(await watch.MoveNextAsync());
            received.Add(watch.Current.Index);
            return watch.Current.Index;
        }

        Assert.Equal(1UL, await Next());
        Assert.Equal(2UL, await Next());

        // Two are out and uncommitted: nothing more comes, however long we wait for it.
        var third = watch.MoveNextAsync().AsTask();
        Assert.NotSame(third, await Task.WhenAny(third, Task.Delay(TimeSpan.FromSeconds(2))));

        // Each commit frees exactly one slot.
        await queue.CommitAsync([1]);
        Assert.True(await third);
        Assert.Equal(3UL, watch.Current.Index);
        var fourth = watch.MoveNextAsync().AsTask();
        Assert.NotSame(fourth, await Task.WhenAny(fourth, Task.Delay(TimeSpan.FromSeconds(1))));
        await queue.CommitAsync([2, 3]);
        Assert.True(await fourth);
        Assert.Equal(4UL, watch.Current.Index);
        Assert.Equal(5UL, await Next());
        Assert.Equal("item5", watch.Current.Data.ToStringUtf8());

        // Auto-commit: each entry is committed once sent.
        await cts.CancelAsync();
        using var cts2 = new CancellationTokenSource(Long);
        await foreach (var frame in queue.WatchAsync(index: 6, window: 1, indexOnly: true, autoCommit: true, ct: cts2.Token))
        {
            Assert.Equal(6UL, frame.Index);
            Assert.True(frame.Data.IsEmpty);
            break;
        }

        await Poll.UntilAsync(async () => (await queue.AttributesAsync())["stream.length"], l => l == "2", Long, "only 4 and 5 left");
    }

    [Fact]
    public async Task The_dispatcher_feeds_instances_and_puts_each_answer_or_error_into_the_sink_by_requestId()
    {
        await using var server = await StartServerAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("q4", 2, """{ "window": 2 }"""));
        await server.WaitForStatusAsync("q4", "Running", 2, 90);
        var token = (await server.Client.DescribeServiceAsync("q4")).AccessToken;
        using var input = new QueueClient(server.Endpoint, "q4", token);
        using var sink = new QueueClient(server.Endpoint, "q4/sink", token);

        var sent = new Dictionary<string, string>();
        for (var i = 0; i < 40; i++)
        {
            var payload = i == 7 ? "fail-7" : "job-" + i;
            var (_, requestId) = await input.PutAsync(Encoding.UTF8.GetBytes(payload), new Dictionary<string, string> { ["requestId"] = "req-" + i, ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            sent[requestId] = payload;
        }

        var results = await Poll.UntilAsync(() => sink.GetAsync(0, 100, TimeSpan.Zero), r => r.Count >= 40, Long, "40 results in the sink");
        Assert.Equal(40, results.Count);
        foreach (var result in results)
        {
            var payload = sent[result.Tags["requestId"]];
            if (payload == "fail-7")
            {
                Assert.Equal("500", result.Tags["status"]);
                Assert.Contains("500", result.Message, StringComparison.Ordinal);
                Assert.Equal("failed: fail-7", result.Data.ToStringUtf8());
            }
            else
            {
                Assert.Equal("200", result.Tags["status"]);
                Assert.Equal("done:" + payload, result.Data.ToStringUtf8());
                Assert.Equal(payload["job-".Length..], result.Tags["n"]);
                Assert.Equal("", result.Message);
            }
        }

        // Every input was committed.
        await Poll.UntilAsync(async () => (await input.AttributesAsync())["stream.length"], l => l == "0", Long, "the input queue to drain");

        // A sink GET by requestId finds the result.
        Assert.Equal("done:job-3", (await sink.GetAsync(0, 1, TimeSpan.Zero, requestId: "req-3")).Single().Data.ToStringUtf8());
    }

    [Fact]
    public async Task An_item_that_kills_its_instance_goes_to_the_sink_as_an_error_after_max_delivery()
    {
        await using var server = await StartServerAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("q5", 2, """{ "window": 1, "max_delivery": 2 }"""));
        await server.WaitForStatusAsync("q5", "Running", 2, 90);
        var token = (await server.Client.DescribeServiceAsync("q5")).AccessToken;
        using var input = new QueueClient(server.Endpoint, "q5", token);
        using var sink = new QueueClient(server.Endpoint, "q5/sink", token);

        var (_, poison) = await input.PutAsync("poison"u8.ToArray());
        var result = (await Poll.UntilAsync(() => sink.GetAsync(0, 10, TimeSpan.Zero, requestId: poison), r => r.Count > 0, Long,
            "the poison item's error in the sink")).Single();
        Assert.Equal("0", result.Tags["status"]);
        Assert.Equal("2", result.Tags["deliveries"]);
        Assert.Contains("queue.max_delivery", result.Message, StringComparison.Ordinal);
        await Poll.UntilAsync(async () => (await input.AttributesAsync())["stream.length"], l => l == "0", Long, "the poison item committed");

        // The service goes on with the next items once an instance is back.
        var (_, fine) = await input.PutAsync("fine"u8.ToArray());
        var ok = (await Poll.UntilAsync(() => sink.GetAsync(0, 10, TimeSpan.Zero, requestId: fine), r => r.Count > 0, Long, "a normal result")).Single();
        Assert.Equal("done:fine", ok.Data.ToStringUtf8());
    }

    [Fact]
    public async Task Backlog_scales_an_async_service_from_zero_and_back_to_zero()
    {
        await using var server = await StartServerAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("q6", 0, """{ "window": 1 }""", """
            , "autoscaler": { "min": 0, "max": 2, "scaleStrategies": [{ "metricName": "backlog", "threshold": 4 }],
                              "behavior": { "scaleDown": { "stabilizationWindowSeconds": 0 }, "onZero": { "scaleDownGracePeriodSeconds": 2 } } }
            """));
        var description = await server.Client.DescribeServiceAsync("q6");
        Assert.Equal(0, description.TotalInstance);
        using var input = new QueueClient(server.Endpoint, "q6", description.AccessToken);
        using var sink = new QueueClient(server.Endpoint, "q6/sink", description.AccessToken);
        await Poll.UntilAsync(async () => await Attempt(() => input.AttributesAsync()), ok => ok, Long, "the queue to be served");

        for (var i = 0; i < 12; i++)
        {
            await input.PutAsync(Encoding.UTF8.GetBytes("slow:0.2"));
        }

        // Items waiting at zero instances start some.
        await Poll.UntilAsync(() => server.Client.DescribeServiceAsync("q6"), d => d.RunningInstance > 0, Long, "an instance started for the backlog");
        await Poll.UntilAsync(() => sink.GetAsync(0, 100, TimeSpan.Zero), r => r.Count == 12, Long, "12 results");

        // With the queue empty, the service goes back to zero.
        await Poll.UntilAsync(() => server.Client.DescribeServiceAsync("q6"), d => d.TotalInstance == 0, Long, "scale to zero");
        var events = await server.Client.ListEventsAsync("q6");
        Assert.Contains(events, e => e.Message.Contains("backlog", StringComparison.Ordinal) || e.Message.Contains("traffic arrived", StringComparison.Ordinal));
    }

    /// <summary>The queue backend under test: null for the embedded SQLite store, else <c>redis://…</c>.</summary>
    protected abstract string? QueueUrl { get; }

    private Task<TestServer> StartServerAsync() => TestServer.StartAsync(configure: o => o.Queue = QueueUrl);

    private protected static async Task<bool> Attempt(Func<Task> call)
    {
        try
        {
            await call();
            return true;
        }
        catch (QueueException)
        {
            return false;
        }
    }

    private protected static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string url, string token, byte[]? body = null,
        string? accept = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation("Authorization", token);
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }

        return await http.SendAsync(request);
    }

    private static async Task<Dictionary<string, string>> Attributes(HttpClient http, string url, string token)
    {
        using var response = await Send(http, HttpMethod.Get, url + "?_attrs_=true", token);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!;
    }
}

/// <summary>The queue suite against the embedded store (SQLite, WAL, group commit).</summary>
public sealed class SqliteQueueTests : QueueTests
{
    protected override string? QueueUrl => null;

    [Fact]
    public async Task Truncation_gives_the_space_back_to_the_file_system()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("qspace", 0));
        var token = (await server.Client.DescribeServiceAsync("qspace")).AccessToken;
        using var queue = new QueueClient(server.Endpoint, "qspace", token);
        await Poll.UntilAsync(() => Attempt(() => queue.AttributesAsync()), ok => ok, Long, "the queue to be served");
        var payload = new byte[64 * 1024];
        long last = 0;
        for (var i = 0; i < 300; i++)
        {
            last = (await queue.PutAsync(payload)).Index;
        }

        var db = Path.Combine(server.DataDir, "queues", "queue.db");
        long Size() => new FileInfo(db).Length + (File.Exists(db + "-wal") ? new FileInfo(db + "-wal").Length : 0);
        Assert.True(Size() > 15_000_000, $"300 puts of 64 KB take {Size()} bytes");

        await queue.TruncateAsync(last + 1);
        await Poll.UntilAsync(() => Task.FromResult(Size()), size => size < 2_000_000, TimeSpan.FromSeconds(60),
            "the queue's files to shrink after the truncation");

        // The indexes go on from where they were: freed space is not a reset.
        Assert.Equal(last + 1, (await queue.PutAsync(payload)).Index);
    }

    [Fact]
    public async Task A_put_the_disk_refuses_is_answered_in_EAS_JSON_and_the_queue_goes_on_without_a_gap()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(WorkerSpec("qdisk", 0));
        var token = (await server.Client.DescribeServiceAsync("qdisk")).AccessToken;
        using var queue = new QueueClient(server.Endpoint, "qdisk", token);
        await Poll.UntilAsync(() => Attempt(() => queue.AttributesAsync()), ok => ok, Long, "the queue to be served");
        Assert.Equal(1, (await queue.PutAsync("kept"u8.ToArray())).Index);

        // The store's file refuses the next write, as a full disk or an I/O error would.
        var db = Path.Combine(server.DataDir, "queues", "queue.db");
        using (var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=false"))
        {
            other.Open();
            using var refuse = other.CreateCommand();
            refuse.CommandText = "CREATE TRIGGER refuse BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'disk refused'); END;";
            refuse.ExecuteNonQuery();

            using var http = new HttpClient();
            using (var put = await Send(http, HttpMethod.Post, server.Endpoint + "/api/predict/qdisk", token, "lost"u8.ToArray()))
            {
                Assert.Equal(HttpStatusCode.InternalServerError, put.StatusCode);
                Assert.Equal("application/json", put.Content.Headers.ContentType!.MediaType);
                using var body = JsonDocument.Parse(await put.Content.ReadAsStringAsync());
                Assert.Equal(500, body.RootElement.GetProperty("code").GetInt32());
                Assert.Contains("\"qdisk\"", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
                Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("requestId").GetString()));
            }

            refuse.CommandText = "DROP TRIGGER refuse;";
            refuse.ExecuteNonQuery();
        }

        // Nothing acknowledged was lost, and the refused put's index was not used up.
        Assert.Equal(2, (await queue.PutAsync("after"u8.ToArray())).Index);
        var held = await queue.GetAsync(index: 0, length: 10, timeout: TimeSpan.Zero);
        Assert.Equal(["kept", "after"], held.Select(e => e.Data.ToStringUtf8()));
    }
}

/// <summary>The queue suite against the cluster store (Redis Streams on a real redis-server with appendfsync always).</summary>
public sealed class RedisQueueTests(RedisServer redis) : QueueTests, IClassFixture<RedisServer>
{
    protected override string? QueueUrl => redis.Url;
}
