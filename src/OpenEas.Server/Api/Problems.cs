using Microsoft.AspNetCore.Http;
using OpenEas.Contracts;
using OpenEas.Core.Control;

namespace OpenEas.Server.Api;

/// <summary>RFC 7807 answers with a stable <c>code</c> and, for spec errors, each field's JSON path.</summary>
internal static class Problems
{
    public static IResult From(ControlException ex) => Create(ex.Status, ex.Code, ex.Message, ex.Errors);

    public static IResult Create(int status, string code, string detail, IReadOnlyList<SpecIssue>? errors = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (errors is { Count: > 0 })
        {
            extensions["errors"] = errors.Select(e => new Dictionary<string, string> { ["path"] = e.Path, ["message"] = e.Message }).ToList();
        }

        return Results.Problem(detail: detail, statusCode: status, title: Title(status), type: $"https://openeas.dev/errors/{code}",
            extensions: extensions);
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        404 => "Not found",
        409 => "Conflict",
        _ => "Error",
    };
}
