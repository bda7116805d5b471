using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Server.Jobs;

namespace OpenEas.Server.Api;

/// <summary><c>/api/v2/jobs</c>: start, list, read, cancel stress and batch jobs, and fetch stress jobs' HTML reports.</summary>
internal static class JobsApi
{
    /// <param name="api">The <c>/api/v2</c> group (admin token and error mapping already applied).</param>
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/jobs", async (HttpRequest request, StressJobs jobs, BatchJobs batches) =>
        {
            JobRequest? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync(request.Body, EasJsonContext.Default.JobRequest, request.HttpContext.RequestAborted);
            }
            catch (JsonException ex)
            {
                var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "$" : ex.Path.TrimStart('$', '.');
                throw new ControlException(400, ErrorCodes.MalformedJson, $"{path}: {ex.Message}", [new SpecIssue(path, "malformed")]);
            }

            if (body is null)
            {
                throw new ControlException(400, ErrorCodes.BadRequest, "the body must be a JSON job");
            }

            var job = string.Equals(body.Kind, "batch", StringComparison.OrdinalIgnoreCase) ? batches.Start(body) : jobs.Start(body);
            return Results.Json(job, EasJsonContext.Default.JobInfo, statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/jobs", (StressJobs jobs, BatchJobs batches) =>
            Results.Json([.. jobs.List().Concat(batches.List()).OrderByDescending(j => j.CreatedAt)], EasJsonContext.Default.ListJobInfo));

        api.MapGet("/jobs/{id}", (string id, StressJobs jobs, BatchJobs batches) =>
            Results.Json(batches.Has(id) ? batches.Get(id) : jobs.Get(id), EasJsonContext.Default.JobInfo));

        api.MapDelete("/jobs/{id}", async (string id, StressJobs jobs, BatchJobs batches) =>
            Results.Json(batches.Has(id) ? await batches.CancelAsync(id) : await jobs.CancelAsync(id), EasJsonContext.Default.JobInfo));

        api.MapGet("/jobs/{id}/report", (string id, StressJobs jobs) =>
            Results.Content(jobs.Report(id), "text/html; charset=utf-8"));
    }
}
