using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Hosting;

namespace OpenEas.Server.Jobs;

/// <summary>
/// Batch jobs: every item of an input (directory, <c>oss://</c> prefix or JSONL file) is sent to a service through the
/// server's own gateway and its answer written to the output directory under the item's name, then a
/// <c>manifest.json</c>. The output is the job's memory: an item whose result file exists is done, so a job that was
/// running when the server died resumes at its next start without redoing finished items. Results are written to a
/// temporary name and renamed, so a crash never leaves a half-written result. 5xx answers and unreachable instances are
/// retried; items that still fail are listed with their errors. A job made from a service spec creates that service for
/// its run and deletes it after.
/// </summary>
internal sealed partial class BatchJobs(EasCoreOptions core, ServiceManager services, TimeProvider time, ILogger<BatchJobs> logger)
    : IHostedService, IDisposable
{
    public const string IdPrefix = "batch-";
    private const int DefaultRetries = 3;
    private const int PerInstance = 4;

    /// <summary>How long the job waits for a service with no Ready instance (503) before its items fail.</summary>
    private static readonly TimeSpan NoInstanceLimit = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private string JobsDir => Path.Combine(core.DataDir, "batch");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(JobsDir))
        {
            return Task.CompletedTask;
        }

        foreach (var file in Directory.EnumerateFiles(JobsDir, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllText(file), EasJsonContext.Default.JobInfo) is not { } info)
                {
                    continue;
                }

                var job = new Job(info);
                _jobs[info.Id] = job;
                if (info.State == JobStates.Running)
                {
                    // The server stopped (or died) while it ran: carry on where the output says it was.
                    info.Batch!.Resumes++;
                    Log.Resuming(logger, info.Id, info.Batch.Done);
                    Launch(job);
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // A damaged job file is skipped, not fatal.
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        JobShutdown.StopAsync(_stopping, _jobs.Values.Select(j => j.Completion), cancellationToken);

    /// <summary>Checks and starts a batch job; throws <see cref="ControlException"/> naming the bad field.</summary>
    public JobInfo Start(JobRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Input))
        {
            throw Bad("input", "required: a directory, an oss://bucket/prefix or a .jsonl file");
        }

        if (string.IsNullOrWhiteSpace(request.Output) || !Path.IsPathFullyQualified(request.Output))
        {
            throw Bad("output", "required: an absolute directory path for the results");
        }

        var hasService = !string.IsNullOrWhiteSpace(request.Service);
        if (hasService == (request.ServiceSpec is not null))
        {
            throw Bad("service", "give exactly one of service (an existing service) or serviceSpec (one made for the job)");
        }

        if (request.Instances is < 1 or > 1000)
        {
            throw Bad("instances", "must be 1-1000");
        }

        if (request.MaxRetries is < 1 or > 100)
        {
            throw Bad("maxRetries", "must be 1-100");
        }

        List<BatchItem> items;
        try
        {
            items = BatchInput.Enumerate(request.Input, core.DataDir);
        }
        catch (ArgumentException ex)
        {
            throw Bad("input", ex.Message["input: ".Length..]);
        }

        var input = BatchInput.Resolve(request.Input, core.DataDir);
        var output = Path.GetFullPath(request.Output);
        if (output.StartsWith(input.TrimEnd('/') + "/", StringComparison.Ordinal) || output == input)
        {
            throw Bad("output", "must not be inside the input (results would become inputs)");
        }

        string service;
        if (hasService)
        {
            service = request.Service;
            services.Describe(service); // 404 for an unknown service
        }
        else
        {
            service = request.ServiceSpec!["name"]?.GetValue<string>() ?? throw Bad("serviceSpec.name", "required");
        }

        var info = new JobInfo
        {
            Id = IdPrefix + time.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-"
                 + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant(),
            Kind = "batch",
            Service = service,
            State = JobStates.Running,
            CreatedAt = time.GetUtcNow(),
            Request = request,
            Batch = new BatchProgress { Total = items.Count, Output = output },
        };
        var job = new Job(info);
        _jobs[info.Id] = job;
        Save(job);
        Launch(job);
        return View(job);
    }

    public List<JobInfo> List() => [.. _jobs.Values.Select(View)];

    public bool Has(string id) => _jobs.ContainsKey(id);

    public JobInfo Get(string id) => View(Find(id));

    public async Task<JobInfo> CancelAsync(string id)
    {
        var job = Find(id);
        if (job.Cancel is { } cts && job.Info.State == JobStates.Running)
        {
            await cts.CancelAsync();
            if (job.Completion is { } done)
            {
                await done.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        return View(job);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _http.Dispose();
    }

    private static ControlException Bad(string path, string message) =>
        new(400, ErrorCodes.BadRequest, $"{path}: {message}", [new SpecIssue(path, message)]);

    private Job Find(string id) =>
        _jobs.TryGetValue(id, out var job) ? job : throw new ControlException(404, ErrorCodes.JobNotFound, $"job \"{id}\" not found");

    private void Launch(Job job)
    {
        job.Cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        job.Completion = Task.Run(() => RunAsync(job));
    }

    private static JobInfo View(Job job)
    {
        lock (job)
        {
            var i = job.Info;
            var b = i.Batch!;
            var progress = new BatchProgress
            {
                Total = b.Total,
                Done = b.Done,
                Failed = b.Failed,
                Rate = b.Rate,
                EtaSeconds = b.EtaSeconds,
                Resumes = b.Resumes,
                Output = b.Output,
                FailedItems = [.. b.FailedItems],
            };
            return new JobInfo
            {
                Id = i.Id,
                Kind = i.Kind,
                Service = i.Service,
                State = i.State,
                Message = i.Message,
                CreatedAt = i.CreatedAt,
                FinishedAt = i.FinishedAt,
                Progress = b.Total == 0 ? (i.State == JobStates.Running ? 0 : 1) : (double)(b.Done + b.Failed) / b.Total,
                Request = i.Request,
                Batch = progress,
            };
        }
    }

    private async Task RunAsync(Job job)
    {
        var ct = job.Cancel!.Token;
        var request = job.Info.Request!;
        var progress = job.Info.Batch!;
        string state;
        string message;
        var created = false;
        try
        {
            await core.Listening.WaitAsync(ct); // a job resumed at start calls the gateway only once it listens
            created = request.ServiceSpec is not null && await EnsureServiceAsync(job.Info.Service, request, ct);
            await WaitRunningAsync(job.Info.Service, ct); // after a restart its instances are being adopted
            var token = services.Describe(job.Info.Service).AccessToken;
            var items = BatchInput.Enumerate(request.Input!, core.DataDir);
            Directory.CreateDirectory(progress.Output);

            var todo = new List<BatchItem>();
            long done = 0;
            foreach (var item in items)
            {
                if (File.Exists(item.ResultPath(progress.Output)))
                {
                    done++;
                }
                else
                {
                    todo.Add(item);
                }
            }

            lock (job)
            {
                progress.Total = items.Count;
                progress.Done = done;
                progress.Failed = 0;
                progress.FailedItems.Clear();
            }

            var instances = Math.Max(1, services.Describe(job.Info.Service).TotalInstance);
            var started = Stopwatch.StartNew();
            var doneHere = 0L;
            using var saver = new Timer(_ => Save(job), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = instances * PerInstance, CancellationToken = ct },
                async (item, itemCt) =>
                {
                    var error = await ProcessAsync(job.Info.Service, token, item, progress.Output, request.MaxRetries ?? DefaultRetries, itemCt);
                    lock (job)
                    {
                        if (error is null)
                        {
                            progress.Done++;
                            doneHere++;
                        }
                        else
                        {
                            progress.Failed++;
                            progress.FailedItems.Add(new BatchFailure { Item = item.Name, Error = error });
                        }

                        var seconds = started.Elapsed.TotalSeconds;
                        progress.Rate = seconds > 0 ? Math.Round(doneHere / seconds, 1) : 0;
                        var left = progress.Total - progress.Done - progress.Failed;
                        progress.EtaSeconds = progress.Rate > 0 ? Math.Round(left / progress.Rate, 1) : null;
                    }
                });

            WriteManifest(job, items);
            (state, message) = progress.Failed == 0
                ? (JobStates.Succeeded, $"{progress.Done} of {progress.Total} items done")
                : (JobStates.Failed, $"{progress.Done} of {progress.Total} items done; {progress.Failed} failed (see failedItems and manifest.json)");
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The server is stopping: the job stays Running on disk and resumes at the next start.
            Save(job);
            return;
        }
        catch (OperationCanceledException)
        {
            (state, message) = (JobStates.Cancelled, "cancelled by user");
        }
        catch (Exception ex) when (ex is ControlException or IOException or ArgumentException or UnauthorizedAccessException or HttpRequestException)
        {
            (state, message) = (JobStates.Failed, ex.Message);
        }

        if (created)
        {
            try
            {
                services.Delete(job.Info.Service, $"batch job {job.Info.Id} finished");
            }
            catch (ControlException)
            {
                // Already gone.
            }
        }

        lock (job)
        {
            job.Info.State = state;
            job.Info.Message = message;
            job.Info.FinishedAt = time.GetUtcNow();
            progress.EtaSeconds = null;
        }

        Save(job);
        job.Cancel?.Dispose();
        job.Cancel = null;
    }

    /// <summary>Creates the job's service (unless a resumed run created it already) and waits for an instance.</summary>
    private async Task<bool> EnsureServiceAsync(string name, JobRequest request, CancellationToken ct)
    {
        var spec = (System.Text.Json.Nodes.JsonObject)request.ServiceSpec!.DeepClone();
        if (request.Instances is { } n)
        {
            if (spec["metadata"] is not System.Text.Json.Nodes.JsonObject meta)
            {
                spec["metadata"] = meta = [];
            }

            meta["instance"] = n;
        }

        if (!services.List().Any(s => s.ServiceName == name))
        {
            services.Create(spec.ToJsonString());
        }

        await WaitRunningAsync(name, ct);
        return true;
    }

    private async Task WaitRunningAsync(string name, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + NoInstanceLimit;
        while (services.Describe(name).RunningInstance == 0)
        {
            if (time.GetUtcNow() > deadline)
            {
                throw new ControlException(503, ErrorCodes.BadRequest, $"service \"{name}\" had no running instance within {NoInstanceLimit.TotalMinutes:0} minutes");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct);
        }
    }

    /// <summary>Sends one item; writes its result. Answers null when done, else the error.</summary>
    private async Task<string?> ProcessAsync(string service, string token, BatchItem item, string output, int tries, CancellationToken ct)
    {
        var body = await item.ReadAsync(ct);
        var url = new Uri(core.PublicEndpoint.TrimEnd('/') + "/api/predict/" + Uri.EscapeDataString(service));
        string error = "";
        var waitUntil = time.GetUtcNow() + NoInstanceLimit;
        for (var attempt = 1; attempt <= tries; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Headers.TryAddWithoutValidation("Authorization", token);
                using var response = await _http.SendAsync(request, ct);
                var answer = await response.Content.ReadAsByteArrayAsync(ct);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    var path = item.ResultPath(output);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    var temp = path + ".partial";
                    await File.WriteAllBytesAsync(temp, answer, ct);
                    File.Move(temp, path, overwrite: true);
                    return null;
                }

                error = $"{status}: {Snippet(answer)}";
                if (status == 503 && time.GetUtcNow() < waitUntil)
                {
                    // No Ready instance (starting, restarting, being adopted): wait for one, this is not the item's fault.
                    attempt--;
                    await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
                    continue;
                }

                if (status < 500 && status != 408 && status != 429 && status != 450)
                {
                    return error; // the item itself is bad: trying again does not help
                }
            }
            catch (HttpRequestException ex)
            {
                error = "the service could not be reached: " + ex.Message;
            }

            if (attempt < tries)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (1 << Math.Min(attempt, 6))), time, ct);
            }
        }

        return $"{error} (after {tries} tries)";
    }

    private static string Snippet(byte[] answer)
    {
        var text = System.Text.Encoding.UTF8.GetString(answer, 0, Math.Min(answer.Length, 300)).Trim();
        return text.Length == 0 ? "(empty answer)" : text;
    }

    private void WriteManifest(Job job, List<BatchItem> items)
    {
        BatchManifest manifest;
        lock (job)
        {
            var b = job.Info.Batch!;
            manifest = new BatchManifest
            {
                Job = job.Info.Id,
                Input = job.Info.Request!.Input!,
                Service = job.Info.Service,
                Total = b.Total,
                Done = b.Done,
                Failed = b.Failed,
                FinishedAt = time.GetUtcNow(),
                FailedItems = [.. b.FailedItems.OrderBy(f => f.Item, StringComparer.Ordinal)],
            };
            foreach (var item in items)
            {
                if (File.Exists(item.ResultPath(b.Output)))
                {
                    manifest.Results.Add(new BatchResultEntry { Item = item.Name, Result = item.Name });
                }
            }
        }

        var path = Path.Combine(job.Info.Batch!.Output, "manifest.json");
        File.WriteAllText(path + ".partial", JsonSerializer.Serialize(manifest, EasJsonContext.Default.BatchManifest));
        File.Move(path + ".partial", path, overwrite: true);
    }

    private void Save(Job job)
    {
        try
        {
            Directory.CreateDirectory(JobsDir);
            string json;
            lock (job)
            {
                json = JsonSerializer.Serialize(job.Info, EasJsonContext.Default.JobInfo);
            }

            var path = Path.Combine(JobsDir, job.Info.Id + ".json");
            lock (job.SaveLock)
            {
                File.WriteAllText(path + ".tmp", json);
                File.Move(path + ".tmp", path, overwrite: true);
            }
        }
        catch (IOException ex)
        {
            Log.SaveFailed(logger, job.Info.Id, ex.Message);
        }
    }

    private sealed class Job(JobInfo info)
    {
        public JobInfo Info { get; } = info;

        public CancellationTokenSource? Cancel { get; set; }

        public Task? Completion { get; set; }

        public Lock SaveLock { get; } = new();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Batch job {Job} resumes ({Done} items were done)")]
        public static partial void Resuming(ILogger logger, string job, long done);

        [LoggerMessage(2, LogLevel.Warning, "Batch job {Job}: its state could not be saved: {Reason}")]
        public static partial void SaveFailed(ILogger logger, string job, string reason);
    }
}
