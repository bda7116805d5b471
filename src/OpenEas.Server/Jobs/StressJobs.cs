using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using OpenEas.Client.Stress;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Hosting;
using OpenEas.Core.Metrics;

namespace OpenEas.Server.Jobs;

/// <summary>
/// Stress jobs run inside the server: the same generator as <c>eas bench</c>, through the server's own gateway.
/// Jobs live in memory while the server runs; each finished job is also written to <c>&lt;data&gt;/jobs/&lt;id&gt;.json</c>
/// and read back at start, so results survive a restart (a job running at shutdown is cancelled and saved so).
/// At most one running stress job per service; the plan's bounds (≤ 1 h, request cap) apply.
/// </summary>
internal sealed class StressJobs(EasCoreOptions core, ServiceManager services, MetricsHub metrics, TimeProvider time) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    private string JobsDir => Path.Combine(core.DataDir, "jobs");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(JobsDir))
        {
            foreach (var file in Directory.EnumerateFiles(JobsDir, "*.json"))
            {
                try
                {
                    if (JsonSerializer.Deserialize(File.ReadAllText(file), EasJsonContext.Default.JobInfo) is { } info)
                    {
                        _jobs[info.Id] = new Job(info, null, null);
                    }
                }
                catch (Exception ex) when (ex is IOException or JsonException)
                {
                    // A damaged result file is skipped, not fatal.
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        JobShutdown.StopAsync(_stopping, _jobs.Values.Select(j => j.Completion), cancellationToken);

    /// <summary>Starts a job; throws <see cref="ControlException"/> for a bad request, an unknown service or a job already running on it.</summary>
    public JobInfo Start(JobRequest request)
    {
        if (!string.Equals(request.Kind, "stress", StringComparison.OrdinalIgnoreCase))
        {
            throw new ControlException(400, ErrorCodes.BadRequest, $"kind \"{request.Kind}\" is not supported (\"stress\" or \"batch\")",
                [new SpecIssue("kind", "must be \"stress\" or \"batch\"")]);
        }

        if (string.IsNullOrWhiteSpace(request.Service))
        {
            throw new ControlException(400, ErrorCodes.BadRequest, "name the service to load", [new SpecIssue("service", "required")]);
        }

        var token = services.Describe(request.Service).AccessToken; // 404 for an unknown service
        StressPlan plan;
        try
        {
            var target = new Uri(new Uri(core.PublicEndpoint.TrimEnd('/') + "/"), "api/predict/" + Uri.EscapeDataString(request.Service)
                + (string.IsNullOrEmpty(request.Path) ? "" : "/" + request.Path.TrimStart('/')));
            plan = StressPlanFactory.Create(request, target, token);
        }
        catch (ArgumentException ex)
        {
            throw new ControlException(400, ErrorCodes.BadRequest, ex.Message);
        }

        var info = new JobInfo
        {
            Id = "stress-" + time.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-"
                 + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant(),
            Kind = "stress",
            Service = request.Service,
            State = JobStates.Running,
            CreatedAt = time.GetUtcNow(),
            Request = request,
        };
        var runner = new StressRunner(plan, time: time);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var job = new Job(info, runner, cts);
        lock (_jobs)
        {
            if (_jobs.Values.Any(j => j.Info.Service == request.Service && j.Info.State == JobStates.Running))
            {
                runner.Dispose();
                cts.Dispose();
                throw new ControlException(409, ErrorCodes.Conflict, $"a stress job is already running on service \"{request.Service}\"");
            }

            _jobs[info.Id] = job;
        }

        job.Completion = Task.Run(() => RunAsync(job));
        return View(job, withReport: true);
    }

    public List<JobInfo> List() =>
        [.. _jobs.Values.OrderByDescending(j => j.Info.CreatedAt).Select(j => View(j, withReport: false))];

    public JobInfo Get(string id) => View(Find(id), withReport: true);

    /// <summary>Cancels a running job (a finished one is left as it is).</summary>
    public async Task<JobInfo> CancelAsync(string id)
    {
        var job = Find(id);
        if (job.Cancel is { } cts && job.Info.State == JobStates.Running)
        {
            await cts.CancelAsync();
            if (job.Completion is { } done)
            {
                await done.WaitAsync(TimeSpan.FromSeconds(15));
            }
        }

        return View(job, withReport: true);
    }

    /// <summary>The HTML report of the job (of what ran so far, while running).</summary>
    public string Report(string id)
    {
        var job = Find(id);
        var report = View(job, withReport: true).Report ?? new StressReport();
        return StressReportHtml.Render(report);
    }

    public void Dispose() => _stopping.Dispose();

    private Job Find(string id) =>
        _jobs.TryGetValue(id, out var job) ? job : throw new ControlException(404, ErrorCodes.JobNotFound, $"job \"{id}\" not found");

    private static JobInfo View(Job job, bool withReport)
    {
        lock (job)
        {
            var i = job.Info;
            var report = i.Report ?? (withReport && job.Runner is { } r ? r.Snapshot() : null);
            return new JobInfo
            {
                Id = i.Id,
                Kind = i.Kind,
                Service = i.Service,
                State = i.State,
                Message = i.Message,
                CreatedAt = i.CreatedAt,
                FinishedAt = i.FinishedAt,
                Progress = i.State == JobStates.Running && job.Runner is { } run ? run.Progress : i.Progress,
                Request = i.Request,
                Report = withReport ? report : null,
            };
        }
    }

    private async Task RunAsync(Job job)
    {
        var runner = job.Runner!;
        string state, message;
        StressReport? report = null;
        try
        {
            report = await runner.RunAsync(job.Cancel!.Token);
            AddCpu(report);
            state = report.Summary.Cancelled ? JobStates.Cancelled : JobStates.Succeeded;
            message = report.Summary.StopReason;
        }
        catch (Exception ex)
        {
            state = JobStates.Failed;
            message = ex.Message;
        }
        finally
        {
            runner.Dispose();
            job.Cancel!.Dispose();
        }

        lock (job)
        {
            job.Info.State = state;
            job.Info.Message = message;
            job.Info.Report = report;
            job.Info.Progress = 1;
            job.Info.FinishedAt = time.GetUtcNow();
            job.Runner = null;
            job.Cancel = null;
        }

        try
        {
            Directory.CreateDirectory(JobsDir);
            var path = Path.Combine(JobsDir, job.Info.Id + ".json");
            await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(job.Info, EasJsonContext.Default.JobInfo));
            File.Move(path + ".tmp", path, overwrite: true);
        }
        catch (IOException)
        {
            // The result stays in memory; only its survival across a restart is lost.
        }
    }

    /// <summary>Adds the service's instance CPU (summed, percent of one core) to each second, from the metrics hub.</summary>
    private void AddCpu(StressReport report)
    {
        var s = report.Summary;
        var points = metrics.Query(s.Service, null, s.Start - TimeSpan.FromSeconds(1), s.End + TimeSpan.FromSeconds(1), 1).Points;
        StressCpu.Merge(report, points);
    }

    private sealed class Job(JobInfo info, StressRunner? runner, CancellationTokenSource? cancel)
    {
        public JobInfo Info { get; } = info;

        public StressRunner? Runner { get; set; } = runner;

        public CancellationTokenSource? Cancel { get; set; } = cancel;

        public Task? Completion { get; set; }
    }
}
