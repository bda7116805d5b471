using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenEas.Contracts;
using OpenEas.Core.Control;

namespace OpenEas.Server.Api;

/// <summary>Resource groups under <c>/api/v2/resources</c>: create, list, describe, change, delete, and a spot group's preemption notice.</summary>
internal static class ResourceApi
{
    /// <summary>Bodies are read without regard to case: <c>{"cpu": 4}</c> and EAS's <c>{"Cpu": 4}</c> both work.</summary>
    private static readonly JsonSerializerOptions Relaxed = new(EasJsonContext.Default.Options) { PropertyNameCaseInsensitive = true };

    /// <param name="api">The <c>/api/v2</c> group (admin auth and ProblemDetails come with it).</param>
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/resources", (ResourceManager resources) =>
            Results.Json(resources.List(), EasJsonContext.Default.ListResourceGroupInfo));

        api.MapPost("/resources", async (HttpRequest request, ResourceManager resources) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.ResourceGroupRequest).ConfigureAwait(false);
            return Results.Json(resources.Create(body), EasJsonContext.Default.ResourceGroupInfo, statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/resources/{name}", (string name, ResourceManager resources) =>
            Results.Json(resources.Describe(name), EasJsonContext.Default.ResourceGroupInfo));

        api.MapGet("/resources/{name}/instances", (string name, ResourceManager resources) =>
            Results.Json(resources.Describe(name).Instances ?? [], EasJsonContext.Default.ListInstanceInfo));

        api.MapPut("/resources/{name}", async (string name, HttpRequest request, ResourceManager resources) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.ResourceGroupRequest).ConfigureAwait(false);
            return Results.Json(resources.Update(name, body), EasJsonContext.Default.ResourceGroupInfo);
        });

        api.MapDelete("/resources/{name}", (string name, ResourceManager resources) =>
        {
            resources.Delete(name);
            return Results.NoContent();
        });

        api.MapPost("/resources/{name}/preempt", async (string name, HttpRequest request, ResourceManager resources) =>
        {
            var body = request.ContentLength is 0 ? new PreemptRequest()
                : await ReadAsync(request, EasJsonContext.Default.PreemptRequest).ConfigureAwait(false);
            return Results.Json(resources.Preempt(name, body), EasJsonContext.Default.PreemptResult, statusCode: StatusCodes.Status202Accepted);
        });
    }

    /// <summary>Reads a JSON body of the given type, keys in any case; errors as ProblemDetails naming the field.</summary>
    internal static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            var relaxed = (JsonTypeInfo<T>)Relaxed.GetTypeInfo(type.Type);
            return await JsonSerializer.DeserializeAsync(request.Body, relaxed, request.HttpContext.RequestAborted).ConfigureAwait(false)
                ?? throw new ControlException(400, ErrorCodes.BadRequest, "the body must be a JSON object", [new SpecIssue("", "must be a JSON object")]);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : ex.Path.TrimStart('$', '.');
            throw new ControlException(400, path.Length == 0 ? ErrorCodes.MalformedJson : ErrorCodes.BadRequest,
                path.Length == 0 ? $"malformed JSON: {ex.Message}" : $"{path}: has the wrong type", [new SpecIssue(path, "has the wrong type")]);
        }
    }
}
