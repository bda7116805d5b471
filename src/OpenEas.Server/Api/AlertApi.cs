using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenEas.Contracts;
using OpenEas.Core.Alerts;
using OpenEas.Core.Control;

namespace OpenEas.Server.Api;

/// <summary>Alert rules under <c>/api/v2</c>: per service, and all of them with their state.</summary>
internal static class AlertApi
{
    /// <param name="api">The <c>/api/v2</c> group (admin auth and ProblemDetails come with it).</param>
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/alerts", (AlertManager alerts) =>
            Results.Json(alerts.List(null), EasJsonContext.Default.ListAlertRuleInfo));

        api.MapGet("/services/{name}/alerts", (string name, AlertManager alerts) =>
            Results.Json(alerts.List(name), EasJsonContext.Default.ListAlertRuleInfo));

        api.MapPost("/services/{name}/alerts", async (string name, HttpRequest request, AlertManager alerts) =>
        {
            var body = await ReadAsync(request).ConfigureAwait(false);
            var created = alerts.Create(name, body);
            return Results.Json(created, EasJsonContext.Default.AlertRuleInfo, statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/services/{name}/alerts/{id}", (string name, string id, AlertManager alerts) =>
            Results.Json(alerts.Get(name, id), EasJsonContext.Default.AlertRuleInfo));

        api.MapDelete("/services/{name}/alerts/{id}", (string name, string id, AlertManager alerts) =>
        {
            alerts.Delete(name, id);
            return Results.NoContent();
        });
    }

    private static async Task<AlertRuleRequest> ReadAsync(HttpRequest request)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(request.Body, EasJsonContext.Default.AlertRuleRequest, request.HttpContext.RequestAborted)
                    .ConfigureAwait(false)
                ?? throw new ControlException(400, ErrorCodes.InvalidAlertRule, "the body must be a JSON object, e.g. {\"expr\": \"p99 > 200ms for 30s\"}",
                    [new SpecIssue("", "must be a JSON object")]);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : ex.Path.TrimStart('$', '.');
            var what = path switch
            {
                "threshold" => "must be a number",
                "for" => "must be a whole number of seconds",
                "enabled" => "must be true or false",
                "" => "malformed JSON",
                _ => "must be a string",
            };
            throw new ControlException(400, path.Length == 0 ? ErrorCodes.MalformedJson : ErrorCodes.InvalidAlertRule,
                path.Length == 0 ? $"malformed JSON: {ex.Message}" : $"{path}: {what}", [new SpecIssue(path, what)]);
        }
    }
}
