using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>One server with one running service ("keeper"), shared by the bad-input tests (none of them may change it).</summary>
public sealed class KeeperServer : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    internal ServiceDescription Keeper { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        Keeper = await Server.Client.CreateServiceAsync(TestServer.EchoSpec("keeper"));
        await Server.WaitForStatusAsync("keeper", ServiceStates.Running, running: 1);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class BadInputTests(KeeperServer fixture) : IClassFixture<KeeperServer>
{
    private readonly TestServer _server = fixture.Server;
    private readonly ServiceDescription _existing = fixture.Keeper;

    public static TheoryData<string, string, string, string> BadSpecs => new()
    {
        // spec, expected code, expected path, expected words in the message
        { """{"name": "x", "containers": [{"script": "x"}""", ErrorCodes.MalformedJson, "", "malformed JSON" },
        { "[1, 2]", ErrorCodes.InvalidSpec, "", "object" },
        { """{"name": "wrongtypes", "containers": [{"script": "x"}], "metadata": {"instance": "many"}}""", ErrorCodes.InvalidSpec, "metadata.instance", "integer" },
        { """{"name": "noprogram", "containers": [{"port": 8000}]}""", ErrorCodes.InvalidSpec, "containers[0]", "script" },
        { """{"name": "badport", "containers": [{"script": "x", "port": 70000}]}""", ErrorCodes.InvalidSpec, "containers[0].port", "65535" },
        { """{"name": "badport2", "containers": [{"script": "x", "port": "abc"}]}""", ErrorCodes.InvalidSpec, "containers[0].port", "abc" },
        { """{"name": "Bad-Name", "containers": [{"script": "x"}]}""", ErrorCodes.InvalidSpec, "name", "lowercase" },
        { """{"containers": [{"script": "x"}]}""", ErrorCodes.InvalidSpec, "name", "required" },
        { """{"name": "nothing"}""", ErrorCodes.InvalidSpec, "", "containers" },
        { """{"name": "badenv", "containers": [{"script": "x", "env": [{"value": "1"}]}]}""", ErrorCodes.InvalidSpec, "containers[0].env[0].name", "" },
        { """{"name": "badmount", "containers": [{"script": "x"}], "storage": [{"oss": {"path": "oss://b/k"}}]}""", ErrorCodes.InvalidSpec, "storage[0].mount_path", "" },
        { """{"name": "nolocal", "containers": [{"script": "x"}], "storage": [{"mount_path": "/d", "local": {"path": "/no/such/dir"}}]}""", ErrorCodes.InvalidSpec, "storage[0].local.path", "not a directory" },
        { """{"name": "rellocal", "containers": [{"script": "x"}], "storage": [{"mount_path": "/d", "local": {"path": "data"}}]}""", ErrorCodes.InvalidSpec, "storage[0].local.path", "absolute" },
        { """{"name": "logsmount", "containers": [{"script": "x"}], "storage": [{"mount_path": "/logs", "oss": {"path": "oss://b/k"}}]}""", ErrorCodes.InvalidSpec, "storage[0].mount_path", "/logs" },
        { """{"name": "escape", "containers": [{"script": "x"}], "storage": [{"mount_path": "/a/../../etc", "oss": {"path": "oss://b/k"}}]}""", ErrorCodes.InvalidSpec, "storage[0].mount_path", "" },
        { """{"name": "nfsmount", "containers": [{"script": "x"}], "storage": [{"mount_path": "/d", "nfs": {"server": "h", "path": "/p"}}]}""", ErrorCodes.InvalidSpec, "storage[0]", "process runtime" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task A_bad_spec_is_rejected_with_the_field_path_and_nothing_is_stored(string spec, string code, string path, string words)
    {
        var before = await _server.Client.ListServicesAsync();

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.Endpoint + "/api/v2/services")
        {
            Content = new StringContent(spec, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Admin);
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, problem.RootElement.GetProperty("code").GetString());
        var errors = problem.RootElement.GetProperty("errors").EnumerateArray()
            .Select(e => (Path: e.GetProperty("path").GetString()!, Message: e.GetProperty("message").GetString()!)).ToList();
        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(words, StringComparison.OrdinalIgnoreCase));

        var after = await _server.Client.ListServicesAsync();
        Assert.Equal(before.Select(s => s.ServiceName), after.Select(s => s.ServiceName));
    }

    [Fact]
    public async Task All_errors_of_a_spec_are_reported_at_once()
    {
        var ex = await Assert.ThrowsAsync<EasApiException>(() => _server.Client.CreateServiceAsync(
            """{"name": "many", "containers": [{"script": "x", "port": 0.5}], "metadata": {"cpu": 0, "instance": -1}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, ex.Status);
        var paths = ex.Errors.Select(e => e.Path).ToList();
        Assert.Contains("containers[0].port", paths);
        Assert.Contains("metadata.cpu", paths);
        Assert.Contains("metadata.instance", paths);
    }

    [Fact]
    public async Task Unknown_fields_are_kept_and_reported_as_warnings()
    {
        var created = await _server.Client.CreateServiceAsync("""
            {"name": "extras", "containers": [{"script": "sleep 1000", "gpu_sharing": true}],
             "metadata": {"instance": 0, "gpu": 1, "favourite_colour": "green"}, "my_team": "vision"}
            """);
        Assert.NotNull(created.Warnings);
        Assert.Contains(created.Warnings, w => w.Path == "metadata.favourite_colour");
        Assert.Contains(created.Warnings, w => w.Path == "containers[0].gpu_sharing");
        Assert.Contains(created.Warnings, w => w.Path == "my_team");
        Assert.Contains(created.Warnings, w => w.Path == "metadata.gpu" && w.Message.Contains("does not bind devices", StringComparison.Ordinal));
        var stored = (await _server.Client.DescribeServiceAsync("extras")).ServiceConfig!;
        Assert.Equal("vision", stored["my_team"]!.GetValue<string>());
        Assert.Equal("green", stored["metadata"]!["favourite_colour"]!.GetValue<string>());
        await _server.Client.DeleteServiceAsync("extras");
    }

    [Fact]
    public async Task A_bad_modify_changes_nothing()
    {
        var ex = await Assert.ThrowsAsync<EasApiException>(() =>
            _server.Client.ModifyServiceAsync("keeper", """{"containers": [{"port": "eighty"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, ex.Status);
        Assert.Contains(ex.Errors, e => e.Path == "containers[0].port");

        await Assert.ThrowsAsync<EasApiException>(() => _server.Client.ModifyServiceAsync("keeper", "{not json"));
        await Assert.ThrowsAsync<EasApiException>(() => _server.Client.ModifyServiceAsync("keeper", """{"name": "other"}"""));
        await Assert.ThrowsAsync<EasApiException>(() => _server.Client.ScaleServiceAsync("keeper", -1));
        await Assert.ThrowsAsync<EasApiException>(() => _server.Client.ModifyServiceAsync("keeper", """{"containers": {"[5]": {"port": 1}}}"""));

        using (var http = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, _server.Endpoint + "/api/v2/services/keeper/scale")
            {
                Content = new StringContent("{}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Admin);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        await Assert.ThrowsAsync<EasApiException>(() => _server.Client.SwitchVersionAsync("keeper", 7));

        var after = await _server.Client.DescribeServiceAsync("keeper");
        Assert.Equal(1, after.LatestVersion);
        Assert.Equal(1, after.CurrentVersion);
        Assert.Equal(_existing.AccessToken, after.AccessToken);
        Assert.Equal(1, after.DesiredInstance);
        Assert.Single(await _server.Client.ListVersionsAsync("keeper"));
    }

    [Fact]
    public async Task Creating_a_service_that_exists_is_a_conflict_and_keeps_the_original()
    {
        var ex = await Assert.ThrowsAsync<EasApiException>(() => _server.Client.CreateServiceAsync(TestServer.EchoSpec("keeper", instances: 3)));
        Assert.Equal(HttpStatusCode.Conflict, ex.Status);
        Assert.Equal(ErrorCodes.ServiceExists, ex.Code);
        var after = await _server.Client.DescribeServiceAsync("keeper");
        Assert.Equal(_existing.AccessToken, after.AccessToken);
        Assert.Equal(1, after.DesiredInstance);
    }

    [Fact]
    public async Task Unknown_services_are_404_on_every_verb()
    {
        async Task NotFound(Func<Task> call)
        {
            var ex = await Assert.ThrowsAsync<EasApiException>(call);
            Assert.Equal(HttpStatusCode.NotFound, ex.Status);
            Assert.Equal(ErrorCodes.ServiceNotFound, ex.Code);
            Assert.Contains("\"ghost\"", ex.Message);
        }

        await NotFound(() => _server.Client.DescribeServiceAsync("ghost"));
        await NotFound(() => _server.Client.ModifyServiceAsync("ghost", "{}"));
        await NotFound(() => _server.Client.ScaleServiceAsync("ghost", 2));
        await NotFound(() => _server.Client.StopServiceAsync("ghost"));
        await NotFound(() => _server.Client.StartServiceAsync("ghost"));
        await NotFound(() => _server.Client.DeleteServiceAsync("ghost"));
        await NotFound(() => _server.Client.SwitchVersionAsync("ghost", 1));
        await NotFound(() => _server.Client.ListEventsAsync("ghost"));
        await NotFound(() => _server.Client.ListInstancesAsync("ghost"));
        await NotFound(() => _server.Client.GetLogsAsync("ghost"));

        var missingInstance = await Assert.ThrowsAsync<EasApiException>(() => _server.Client.RestartInstancesAsync("keeper", ["keeper-9-zzzzz"]));
        Assert.Equal(HttpStatusCode.NotFound, missingInstance.Status);

        // As written on the wire, readable by a person with curl: quotes are escaped as JSON requires, not as \u0022
        // (as the gateway's errors are).
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.Endpoint + "/api/v2/services/ghost");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Admin);
        using var response = await http.SendAsync(request);
        Assert.Contains("\"detail\":\"service \\\"ghost\\\" not found\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_control_API_needs_the_admin_token()
    {
        using var noToken = new EasClient(_server.Endpoint, null);
        var ex = await Assert.ThrowsAsync<EasApiException>(() => noToken.ListServicesAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.Status);
        Assert.Equal(ErrorCodes.Unauthorized, ex.Code);

        using var wrong = new EasClient(_server.Endpoint, "not-the-token");
        ex = await Assert.ThrowsAsync<EasApiException>(() => wrong.CreateServiceAsync(TestServer.EchoSpec("sneaky")));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.Status);
        Assert.DoesNotContain(await _server.Client.ListServicesAsync(), s => s.ServiceName == "sneaky");
    }

    [Theory]
    [InlineData("keeper", "wrong-token", HttpStatusCode.Unauthorized, "invalid service token")]
    [InlineData("keeper", null, HttpStatusCode.Unauthorized, "missing Authorization")]
    [InlineData("ghost", "any", HttpStatusCode.NotFound, "not found")]
    public async Task The_gateway_answers_errors_as_json_with_the_status_eas_clients_expect(string service, string? token, HttpStatusCode status, string words)
    {
        var answer = await _server.Client.PredictAsync(service, token, "x"u8.ToArray());
        Assert.Equal(status, answer.Status);
        using var body = JsonDocument.Parse(answer.Body);
        Assert.Equal((int)status, body.RootElement.GetProperty("code").GetInt32());
        Assert.Contains(words, body.RootElement.GetProperty("message").GetString());
        var requestId = body.RootElement.GetProperty("requestId").GetString();
        Assert.False(string.IsNullOrEmpty(requestId));
        Assert.Contains(answer.Headers, h => h.Key == "X-Eas-Request-Id" && h.Value == requestId);
    }

    [Fact]
    public async Task The_right_token_works_plain_or_as_bearer()
    {
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.PredictAsync("keeper", _existing.AccessToken, "x"u8.ToArray())).Status);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.PredictAsync("keeper", "Bearer " + _existing.AccessToken, "x"u8.ToArray())).Status);
    }
}
