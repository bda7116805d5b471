using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpenEas.Cli;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>One server with a plain echo service and an anonymous one, shared by the auth tests.</summary>
public sealed class AuthServer : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        await Server.Client.CreateServiceAsync(TestServer.EchoSpec("guarded"));
        await Server.Client.CreateServiceAsync(TestServer.EchoSpec("open", extraMetadata: ", \"anonymous\": true"));
        await Server.WaitForStatusAsync("guarded", ServiceStates.Running, running: 1);
        await Server.WaitForStatusAsync("open", ServiceStates.Running, running: 1);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[SuppressMessage("Security", "CA5350", Justification = "the EAS signature protocol is HMAC-SHA1")]
[SuppressMessage("Security", "CA5351", Justification = "the EAS signature protocol carries an MD5 of the body")]
public sealed class AuthTests(AuthServer fixture) : IClassFixture<AuthServer>, IDisposable
{
    private readonly TestServer _server = fixture.Server;
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    /// <summary>A request signed the way the EAS SDKs sign one (see the Python SDK's <c>generate_singaure</c>).</summary>
    private HttpRequestMessage Signed(string path, string token, byte[] signedBody, byte[]? sentBody = null)
    {
        var md5 = Convert.ToHexStringLower(MD5.HashData(signedBody));
        var date = DateTime.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss 'GMT'", System.Globalization.CultureInfo.InvariantCulture);
        const string ContentType = "application/octet-stream";
        var message = $"POST\n{md5}\n{ContentType}\n{date}\n{path}".Trim();
        var signature = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(message)));

        var request = new HttpRequestMessage(HttpMethod.Post, _server.Endpoint + path) { Content = new ByteArrayContent(sentBody ?? signedBody) };
        request.Headers.TryAddWithoutValidation("Authorization", "EAS " + signature);
        request.Headers.TryAddWithoutValidation("Date", date);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        request.Content.Headers.TryAddWithoutValidation("Content-MD5", md5);
        return request;
    }

    private async Task<string> TokenOf(string service) => (await _server.Client.DescribeServiceAsync(service)).AccessToken;

    private static async Task<string> ErrorMessage(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)response.StatusCode, body.RootElement.GetProperty("code").GetInt32());
        return body.RootElement.GetProperty("message").GetString()!;
    }

    [Fact]
    public async Task A_signed_request_gets_the_services_answer()
    {
        var body = Encoding.UTF8.GetBytes("signed hello");
        using var request = Signed("/api/predict/guarded", await TokenOf("guarded"), body);
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("signed hello", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_signed_request_to_a_sub_path_signs_the_path_it_was_sent_to()
    {
        var body = new byte[200_000];
        Random.Shared.NextBytes(body);
        using var request = Signed("/api/predict/guarded/v1/echo", await TokenOf("guarded"), body);
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_signed_request_whose_body_changed_after_signing_is_401()
    {
        using var request = Signed("/api/predict/guarded", await TokenOf("guarded"), "the signed body"u8.ToArray(), "another body"u8.ToArray());
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("body does not match Content-MD5", await ErrorMessage(response));
    }

    [Fact]
    public async Task A_request_signed_with_the_wrong_token_is_401()
    {
        using var request = Signed("/api/predict/guarded", "not-the-token", "x"u8.ToArray());
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("invalid signature", await ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anonymous_service_answers_without_a_token_and_a_guarded_one_still_401s()
    {
        var open = await _server.Client.PredictAsync("open", null, "no token"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, open.Status);
        Assert.Equal("no token", open.BodyText);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.PredictAsync("open", "any-token", "x"u8.ToArray())).Status);
        Assert.False(string.IsNullOrEmpty(await TokenOf("open"))); // desc still shows a token

        var guarded = await _server.Client.PredictAsync("guarded", null, "no token"u8.ToArray());
        Assert.Equal(HttpStatusCode.Unauthorized, guarded.Status);
        Assert.Contains("missing Authorization header", guarded.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotated_token_works_at_once_and_the_old_one_only_during_its_grace()
    {
        await _server.Client.CreateServiceAsync(TestServer.EchoSpec("rotating"));
        await _server.WaitForStatusAsync("rotating", ServiceStates.Running, running: 1);
        var old = await TokenOf("rotating");

        var rotated = await _server.Client.RotateTokenAsync("rotating", TimeSpan.FromSeconds(3));
        var fresh = rotated.AccessToken;
        Assert.NotEqual(old, fresh);
        Assert.Equal(fresh, await TokenOf("rotating"));
        Assert.Equal(HttpStatusCode.OK, (await _server.PredictAsync("rotating", "new", fresh)).Status);
        Assert.Equal(HttpStatusCode.OK, (await _server.PredictAsync("rotating", "old", old)).Status);
        using (var signedOld = Signed("/api/predict/rotating", old, "old signed"u8.ToArray()))
        {
            Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(signedOld)).StatusCode);
        }

        // Past the grace the old token is refused; the new one keeps working.
        await Poll.UntilAsync(async () => (await _server.PredictAsync("rotating", "old", old)).Status,
            status => status == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(30), "the old token to be refused");
        Assert.Equal(HttpStatusCode.OK, (await _server.PredictAsync("rotating", "new", fresh)).Status);
        using (var signedOld = Signed("/api/predict/rotating", old, "old signed"u8.ToArray()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(signedOld)).StatusCode);
        }

        var events = await _server.Client.ListEventsAsync("rotating");
        var rotation = Assert.Single(events, e => e.Reason == "TokenRotated");
        Assert.DoesNotContain(old, rotation.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fresh, rotation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"graceSeconds": -1}""")]
    [InlineData("""{"graceSeconds": 99999999}""")]
    [InlineData("""{"graceSeconds": "soon"}""")]
    public async Task A_bad_grace_is_400_and_the_token_is_kept(string body)
    {
        var before = await TokenOf("guarded");
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.Endpoint + "/api/v2/services/guarded/token")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestServer.Admin);
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ErrorCodes.BadRequest, problem.RootElement.GetProperty("code").GetString());
        Assert.Equal("graceSeconds", problem.RootElement.GetProperty("errors")[0].GetProperty("path").GetString());
        Assert.Equal(before, await TokenOf("guarded"));
    }

    [Fact]
    public async Task The_cli_prints_and_rotates_a_token()
    {
        await _server.Client.CreateServiceAsync(TestServer.EchoSpec("cli_token", instances: 0));
        var before = await TokenOf("cli_token");

        var (code, stdout, stderr) = await Eas("token", "cli_token");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Equal(before, stdout.Trim());

        (code, stdout, stderr) = await Eas("token", "cli_token", "--rotate", "--grace", "0");
        Assert.True(code == ExitCodes.Success, stderr);
        var after = stdout.Trim();
        Assert.NotEqual(before, after);
        Assert.Equal(after, await TokenOf("cli_token"));
        Assert.Contains("no longer works", stderr, StringComparison.Ordinal);

        (code, stdout, _) = await Eas("token", "cli_token", "--json");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(after, JsonSerializer.Deserialize(stdout, EasJsonContext.Default.ServiceDescription)!.AccessToken);

        (code, _, stderr) = await Eas("token", "cli_token", "--grace", "1h");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--rotate", stderr, StringComparison.Ordinal);

        (code, _, _) = await Eas("token", "no_such_service");
        Assert.Equal(ExitCodes.NotFound, code);
    }

    private async Task<(int Code, string Out, string Err)> Eas(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--endpoint", _server.Endpoint, "--admin-token", TestServer.Admin], stdout, stderr,
            new StringReader(""));
        return (code, stdout.ToString(), stderr.ToString());
    }
}
