using System.Net;
using OpenEas.Cli;
using OpenEas.Client;
using OpenEas.Contracts;

namespace OpenEas.Tests.Cli;

public class ErrorMappingTests
{
    [Theory]
    [InlineData(null, "Unreachable", 0, ExitCodes.Unreachable)]
    [InlineData(null, "Timeout", 0, ExitCodes.Unreachable)]
    [InlineData(HttpStatusCode.NotFound, ErrorCodes.ServiceNotFound, 0, ExitCodes.NotFound)]
    [InlineData(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound, 0, ExitCodes.NotFound)]
    [InlineData(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, 0, ExitCodes.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden, null, 0, ExitCodes.Unauthorized)]
    [InlineData(HttpStatusCode.BadRequest, ErrorCodes.InvalidSpec, 2, ExitCodes.InvalidSpec)]
    [InlineData(HttpStatusCode.BadRequest, null, 1, ExitCodes.InvalidSpec)]
    [InlineData(HttpStatusCode.BadRequest, ErrorCodes.MalformedJson, 0, ExitCodes.InvalidSpec)]
    [InlineData(HttpStatusCode.BadRequest, ErrorCodes.BadRequest, 0, ExitCodes.Error)]
    [InlineData(HttpStatusCode.Conflict, ErrorCodes.ServiceExists, 0, ExitCodes.Conflict)]
    [InlineData(HttpStatusCode.InternalServerError, null, 0, ExitCodes.Error)]
    [InlineData(HttpStatusCode.ServiceUnavailable, null, 0, ExitCodes.Error)]
    public void Api_errors_map_to_named_exit_codes(HttpStatusCode? status, string? code, int fieldErrors, int expected)
    {
        var errors = Enumerable.Range(0, fieldErrors).Select(i => new SpecIssue($"containers[{i}].port", "must be 1-65535")).ToList();
        Assert.Equal(expected, ExitCodes.For(new EasApiException(status, code, "message", errors)));
    }

    [Fact]
    public void A_rejected_spec_prints_one_line_per_field()
    {
        var ex = new EasApiException(HttpStatusCode.BadRequest, ErrorCodes.InvalidSpec, "invalid spec",
            [new SpecIssue("containers[0].port", "must be 1-65535"), new SpecIssue("name", "is required")]);
        var (code, lines) = ErrorReport.Describe(ex, "http://127.0.0.1:8080/", null);
        Assert.Equal(ExitCodes.InvalidSpec, code);
        Assert.Equal(["eas: spec rejected:", "  containers[0].port: must be 1-65535", "  name: is required"], lines);
    }

    [Fact]
    public void A_missing_service_is_named()
    {
        var ex = new EasApiException(HttpStatusCode.NotFound, ErrorCodes.ServiceNotFound, "404 Not Found", []);
        var (code, lines) = ErrorReport.Describe(ex, "http://127.0.0.1:8080/", "foo");
        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Equal(["eas: service \"foo\" not found"], lines);
    }

    [Fact]
    public void An_unreachable_server_says_where_and_what_to_run()
    {
        var ex = new EasApiException(null, "Unreachable", "connection refused", []);
        var (code, lines) = ErrorReport.Describe(ex, "http://127.0.0.1:8080/", null);
        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.Equal(["eas: cannot reach the OpenEAS server at http://127.0.0.1:8080/ (is 'eas server' running?)"], lines);
    }

    [Fact]
    public void Any_other_exception_is_one_line_with_exit_code_1()
    {
        var (code, lines) = ErrorReport.Describe(new InvalidOperationException("boom"), "http://127.0.0.1:8080/", null);
        Assert.Equal(ExitCodes.Error, code);
        Assert.Equal(["eas: boom"], lines);
    }
}
