using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Release;
using OpenEas.Gateway.Mirroring;

namespace OpenEas.Server.Api;

/// <summary>
/// Safe release under <c>/api/v2</c>: service groups and weights (EAS's <c>/groups</c> and <c>/services/{name}/release</c>),
/// mirroring (EAS's <c>/services/{name}/mirror</c>, plus its report) and progressive canary releases. Bodies are read
/// without regard to the keys' case: EAS's <c>{"Ratio": 20}</c> and <c>{"ratio": 20}</c> both work.
/// </summary>
internal static class ReleaseApi
{
    /// <param name="api">The <c>/api/v2</c> group (admin auth and ProblemDetails come with it).</param>
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/groups", (GroupManager groups) => Results.Json(groups.List(), EasJsonContext.Default.ListGroupInfo));

        api.MapGet("/groups/{group}", (string group, GroupManager groups) => Results.Json(groups.Describe(group), EasJsonContext.Default.GroupInfo));

        api.MapPut("/groups/{group}/weights", async (string group, HttpRequest request, GroupManager groups) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.GroupWeightRequest).ConfigureAwait(false);
            return Results.Json(groups.SetWeights(group, body.Weights), EasJsonContext.Default.GroupInfo);
        });

        api.MapPut("/groups/{group}/sticky", async (string group, HttpRequest request, GroupManager groups) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.GroupStickyRequest).ConfigureAwait(false);
            return Results.Json(groups.SetSticky(group, body.Header, body.Cookie), EasJsonContext.Default.GroupInfo);
        });

        api.MapPut("/services/{name}/release", async (string name, HttpRequest request, GroupManager groups) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.ReleaseWeightRequest).ConfigureAwait(false);
            var weight = body.Weight ?? throw new ControlException(400, ErrorCodes.BadRequest, "the body must name the weight: {\"weight\": 50}",
                [new SpecIssue("weight", "required")]);
            return Results.Json(groups.SetWeight(name, weight), EasJsonContext.Default.GroupInfo);
        });

        api.MapGet("/services/{name}/mirror", (string name, GroupManager groups) => MirrorAnswer(groups.GetMirror(name)));

        api.MapMethods("/services/{name}/mirror", ["PUT", "POST"], async (string name, HttpRequest request, GroupManager groups, MirrorSender sender) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.MirrorSetting).ConfigureAwait(false);
            var set = groups.SetMirror(name, body);
            sender.Reset(name);
            return MirrorAnswer(set);
        });

        api.MapDelete("/services/{name}/mirror", (string name, GroupManager groups) => MirrorAnswer(groups.SetMirror(name, null)));

        api.MapGet("/services/{name}/mirror/report", (string name, GroupManager groups, MirrorSender sender) =>
            Results.Json(sender.Report(name, groups.GetMirror(name)), EasJsonContext.Default.MirrorReport));

        api.MapPost("/services/{name}/canary", async (string name, HttpRequest request, CanaryController canary) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.CanaryRequest).ConfigureAwait(false);
            return Results.Json(canary.Start(name, body), EasJsonContext.Default.ReleaseInfo, statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/services/{name}/canary", (string name, CanaryController canary) => Results.Json(canary.Get(name), EasJsonContext.Default.ReleaseInfo));

        api.MapPut("/services/{name}/canary", async (string name, HttpRequest request, CanaryController canary) =>
        {
            var body = await ReadAsync(request, EasJsonContext.Default.CanaryActionRequest).ConfigureAwait(false);
            return Results.Json(canary.Act(name, body.Action.Trim().ToLowerInvariant()), EasJsonContext.Default.ReleaseInfo);
        });
    }

    /// <summary>The setting in force, or <c>{"Ratio": 0, "Target": []}</c> when off.</summary>
    private static IResult MirrorAnswer(MirrorSetting? setting) => Results.Json(setting ?? new MirrorSetting(), EasJsonContext.Default.MirrorSetting);

    private static Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type) where T : class => ResourceApi.ReadAsync(request, type);
}
