using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenEas.Core.Routing;
using OpenEas.Gateway.Auth;

namespace OpenEas.Tests.Gateway;

[SuppressMessage("Security", "CA5350", Justification = "the EAS signature protocol is HMAC-SHA1")]
[SuppressMessage("Security", "CA5351", Justification = "the EAS signature protocol carries an MD5 of the body")]
public class ServiceAuthTests
{
    private const string Token = "tok_0123456789abcdef";
    private const string Date = "Mon, 06 Jan 2026 10:00:00 GMT";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"prompt\": \"hello\"}");

    /// <summary>What the EAS Python SDK does (<c>PredictClient.generate_singaure</c>): hmac.new(token, msg.strip(), sha1), base64.</summary>
    private static (string Authorization, string Md5) SdkSign(string token, byte[] body, string path,
        string contentType = "application/octet-stream", string verb = "POST", string date = Date)
    {
        var md5 = Convert.ToHexStringLower(MD5.HashData(body));
        var message = $"{verb}\n{md5}\n{contentType}\n{date}\n{path}";
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(message.Trim()));
        return ("EAS " + Convert.ToBase64String(mac), md5);
    }

    private static ServiceRoute Route(string token = Token, string? previous = null, DateTimeOffset? expires = null, bool anonymous = false) =>
        new("echo", new RouteAuth(token, previous, expires, anonymous), RoutePolicy.Default, [], Gate);

    private static readonly ServiceGate Gate = new(rateLimit: 0);

    private static DefaultHttpContext Request(byte[] body, string? authorization, string? contentMd5 = null,
        string? contentType = "application/octet-stream", string date = Date, string target = "/api/predict/echo",
        string method = "POST", TimeProvider? time = null)
    {
        var context = new DefaultHttpContext();
        var services = new ServiceCollection();
        services.AddSingleton(time ?? TimeProvider.System);
        context.RequestServices = services.BuildServiceProvider();
        var request = context.Request;
        request.Method = method;
        var query = target.IndexOf('?', StringComparison.Ordinal);
        request.Path = query < 0 ? target : target[..query];
        request.QueryString = query < 0 ? QueryString.Empty : new QueryString(target[query..]);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        request.Body = new MemoryStream(body);
        request.ContentLength = body.Length;
        request.ContentType = contentType;
        if (authorization is not null)
        {
            request.Headers.Authorization = authorization;
        }

        if (contentMd5 is not null)
        {
            request.Headers["Content-MD5"] = contentMd5;
        }

        request.Headers.Date = date;
        return context;
    }

    private static async Task<string?> Check(HttpContext context, ServiceRoute? route = null) =>
        await ServiceAuth.CheckAsync(context, route ?? Route());

    [Fact]
    public async Task A_signature_for_known_inputs_is_accepted()
    {
        // Computed with the EAS Python SDK's recipe (hmac/hashlib/base64) for these inputs.
        const string Expected = "EAS RxL2msmPskNHKTO+xfPEf2ongkE=";
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo");
        Assert.Equal(Expected, authorization);
        Assert.Equal("a2977a8594908c2bf5916ab39da6a5d7", md5);

        Assert.Null(await Check(Request(Body, Expected, md5)));
    }

    [Fact]
    public async Task The_body_is_still_readable_in_full_after_a_signature_check()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo");
        var context = Request(Body, authorization, md5);
        Assert.Null(await Check(context));

        using var copy = new MemoryStream();
        await context.Request.Body.CopyToAsync(copy);
        Assert.Equal(Body, copy.ToArray());
    }

    [Fact]
    public async Task A_large_body_is_hashed_whole()
    {
        var body = new byte[300_000];
        new Random(7).NextBytes(body);
        var (authorization, md5) = SdkSign(Token, body, "/api/predict/echo");
        Assert.Null(await Check(Request(body, authorization, md5)));
    }

    [Fact]
    public async Task A_tampered_body_is_rejected_as_not_matching_Content_MD5()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo");
        var tampered = Encoding.UTF8.GetBytes("{\"prompt\": \"HELLO\"}");
        Assert.Equal(ServiceAuth.BodyMismatch, await Check(Request(tampered, authorization, md5)));
    }

    [Fact]
    public async Task A_Content_MD5_that_is_not_the_body_s_is_rejected()
    {
        var (authorization, _) = SdkSign(Token, Body, "/api/predict/echo");
        Assert.Equal(ServiceAuth.BodyMismatch, await Check(Request(Body, authorization, "0123456789abcdef0123456789abcdef")));
    }

    [Fact]
    public async Task A_tampered_body_with_a_matching_Content_MD5_fails_the_signature()
    {
        var (authorization, _) = SdkSign(Token, Body, "/api/predict/echo");
        var tampered = Encoding.UTF8.GetBytes("other");
        var md5 = Convert.ToHexStringLower(MD5.HashData(tampered));
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(tampered, authorization, md5)));
    }

    [Fact]
    public async Task Content_MD5_may_be_absent_the_body_s_own_MD5_is_signed()
    {
        var (authorization, _) = SdkSign(Token, Body, "/api/predict/echo");
        Assert.Null(await Check(Request(Body, authorization, contentMd5: null)));
    }

    [Fact]
    public async Task Content_MD5_is_compared_without_regard_to_case()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo");
        // The message carries the header as sent, so a client that signs upper case and sends upper case passes.
        var upper = md5.ToUpperInvariant();
        var message = $"POST\n{upper}\napplication/octet-stream\n{Date}\n/api/predict/echo";
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(Token), Encoding.UTF8.GetBytes(message));
        Assert.Null(await Check(Request(Body, "EAS " + Convert.ToBase64String(mac), upper)));
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(Body, authorization, upper)));
    }

    [Fact]
    public async Task The_wrong_token_is_rejected()
    {
        var (authorization, md5) = SdkSign("not-the-token", Body, "/api/predict/echo");
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(Body, authorization, md5)));
    }

    [Fact]
    public async Task The_wrong_content_type_is_rejected()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo", contentType: "application/json");
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(Body, authorization, md5, contentType: "text/plain")));
        Assert.Null(await Check(Request(Body, authorization, md5, contentType: "application/json")));
    }

    [Fact]
    public async Task Without_a_Content_Type_the_default_octet_stream_is_signed()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo");
        Assert.Null(await Check(Request(Body, authorization, md5, contentType: null)));
    }

    [Fact]
    public async Task The_wrong_path_is_rejected()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/other");
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(Body, authorization, md5)));
    }

    [Fact]
    public async Task The_signed_path_is_the_path_as_sent_with_its_sub_path_and_without_the_query()
    {
        var (withSubPath, md5) = SdkSign(Token, Body, "/api/predict/echo/v1/chat");
        Assert.Null(await Check(Request(Body, withSubPath, md5, target: "/api/predict/echo/v1/chat?stream=1")));

        var (baseOnly, _) = SdkSign(Token, Body, "/api/predict/echo");
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(Body, baseOnly, md5, target: "/api/predict/echo/v1/chat")));
    }

    [Fact]
    public async Task The_method_line_is_the_request_s_method()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo", verb: "PUT");
        Assert.Null(await Check(Request(Body, authorization, md5, method: "PUT")));
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(Body, authorization, md5, method: "POST")));
    }

    [Fact]
    public void The_message_is_trimmed_before_signing()
    {
        // An empty method line and a Date with trailing spaces: the SDK strips the whole message, so the leading
        // newline and trailing blanks are not signed.
        var md5 = Convert.ToHexStringLower(MD5.HashData(Body));
        var message = $"\n{md5}\napplication/octet-stream\n\n/api/predict/echo  ";
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(Token), Encoding.UTF8.GetBytes(message.Trim()));
        Assert.True(EasSignature.Verify(mac, Encoding.UTF8.GetBytes(Token), default, "", md5, "", "", "/api/predict/echo  "));

        var untrimmed = HMACSHA1.HashData(Encoding.UTF8.GetBytes(Token), Encoding.UTF8.GetBytes(message));
        Assert.False(EasSignature.Verify(untrimmed, Encoding.UTF8.GetBytes(Token), default, "", md5, "", "", "/api/predict/echo  "));
    }

    [Fact]
    public async Task A_Date_far_from_the_server_clock_is_accepted()
    {
        var (authorization, md5) = SdkSign(Token, Body, "/api/predict/echo", date: "Thu, 01 Jan 1970 08:00:00 GMT");
        Assert.Null(await Check(Request(Body, authorization, md5, date: "Thu, 01 Jan 1970 08:00:00 GMT")));
    }

    [Theory]
    [InlineData("EAS ")]
    [InlineData("EAS not-base64!")]
    [InlineData("EAS AAAA")]
    public async Task A_malformed_signature_is_rejected_without_reading_the_body(string authorization)
    {
        var context = Request(Body, authorization);
        Assert.Equal(ServiceAuth.MalformedSignature, await Check(context));
        Assert.Equal(0, context.Request.Body.Position);
    }

    [Fact]
    public async Task A_plain_token_passes_and_does_not_touch_the_body()
    {
        var body = new NoReadStream();
        var context = Request([], Token);
        context.Request.Body = body;
        Assert.Null(await Check(context));
        Assert.Null(await Check(Request([], "Bearer " + Token)));
        Assert.Equal(ServiceAuth.InvalidToken, await Check(Request([], Token + "x")));
        Assert.Equal(ServiceAuth.Missing, await Check(Request([], null)));
        Assert.Equal(ServiceAuth.Missing, await Check(Request([], "  ")));
    }

    [Fact]
    public async Task A_rotated_out_token_works_until_its_expiry_on_the_server_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 6, 10, 0, 0, TimeSpan.Zero));
        var route = Route("new-token", previous: Token, expires: clock.GetUtcNow().AddMinutes(10));
        var (signed, md5) = SdkSign(Token, Body, "/api/predict/echo");

        Assert.Null(await Check(Request([], "new-token", time: clock), route));
        Assert.Null(await Check(Request([], Token, time: clock), route));
        Assert.Null(await Check(Request(Body, signed, md5, time: clock), route));

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(await Check(Request([], "new-token", time: clock), route));
        Assert.Equal(ServiceAuth.InvalidToken, await Check(Request([], Token, time: clock), route));
        Assert.Equal(ServiceAuth.InvalidSignature, await Check(Request(Body, signed, md5, time: clock), route));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData("EAS garbage")]
    public async Task An_anonymous_service_lets_any_call_through(string? authorization)
    {
        Assert.Null(await Check(Request(Body, authorization), Route(anonymous: true)));
    }

    /// <summary>A body that fails the test if anyone reads it.</summary>
    private sealed class NoReadStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("the body was read");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the body was read");
    }
}
