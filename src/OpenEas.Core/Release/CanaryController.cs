using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Metrics;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Specs;
using OpenEas.Core.Store;

namespace OpenEas.Core.Release;

/// <summary>
/// Progressive canary releases (<c>eas release</c>): the new version runs as <c>{service}_canary</c> and takes a rising
/// share of the service's own traffic, step by step. Once a second each step is judged (<see cref="CanaryJudge"/>) on
/// the metrics hub's series of canary and baseline; a breach puts all traffic back on the baseline at once, scales
/// the canary to zero and records why. After the last step the new spec becomes the service's next version (a normal
/// rolling update, so version rollback still works); the canary serves until that version is Ready, then is retired.
/// </summary>
public sealed partial class CanaryController : BackgroundService
{
    /// <summary>The canary's name suffix (service names allow letters, digits and '_').</summary>
    public const string CanarySuffix = "_canary";

    /// <summary>How far back the baseline is read before a step began when it gets too few calls in the step (at 100 %).</summary>
    private static readonly TimeSpan BaselineLookBack = TimeSpan.FromSeconds(60);

    private readonly EasStore _store;
    private readonly ServiceManager _services;
    private readonly Reconciler _reconciler;
    private readonly TrafficPublisher _publisher;
    private readonly MetricsHub _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<CanaryController> _logger;
    private readonly Lock _lock = new();
    private readonly System.Threading.Channels.Channel<bool> _secondClosed = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    public CanaryController(EasStore store, ServiceManager services, Reconciler reconciler, TrafficPublisher publisher, MetricsHub metrics,
        TimeProvider time, ILogger<CanaryController> logger)
    {
        _store = store;
        _services = services;
        _reconciler = reconciler;
        _publisher = publisher;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        // Judge as soon as a second is closed, not up to a poll later: every second of a breach costs users calls.
        metrics.SecondClosed += _ => _secondClosed.Writer.TryWrite(true);
    }

    /// <summary>Starts a release of <paramref name="service"/>; the canary takes traffic once it is Running.</summary>
    public ReleaseInfo Start(string service, CanaryRequest request)
    {
        var steps = request.Steps is { Count: > 0 } s ? s : [5, 25, 50, 100];
        var issues = new List<SpecIssue>();
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is < 1 or > 100 || (i > 0 && steps[i] <= steps[i - 1]))
            {
                issues.Add(new SpecIssue($"steps[{i}]", "steps are rising percentages 1-100"));
            }
        }

        if (steps[^1] != 100)
        {
            issues.Add(new SpecIssue($"steps[{steps.Count - 1}]", "the last step is 100 (the canary takes all traffic before promotion)"));
        }

        var pause = request.PauseSeconds ?? 60;
        if (pause is < 0 or > 86_400)
        {
            issues.Add(new SpecIssue("pauseSeconds", "must be 0-86400"));
        }

        var maxErrorRate = request.MaxErrorRate ?? 0.01;
        if (maxErrorRate is < 0 or > 1)
        {
            issues.Add(new SpecIssue("maxErrorRate", "must be 0-1 (0.01 = 1 %)"));
        }

        var maxP99Ratio = request.MaxP99Ratio ?? 1.5;
        if (maxP99Ratio < 1)
        {
            issues.Add(new SpecIssue("maxP99Ratio", "must be at least 1"));
        }

        var minCalls = request.MinCalls ?? 20;
        if (minCalls is < 0 or > 1_000_000)
        {
            issues.Add(new SpecIssue("minCalls", "must be 0-1000000"));
        }

        if (request.Spec is null)
        {
            issues.Add(new SpecIssue("spec", "required: the new version's spec"));
        }

        var canary = service + CanarySuffix;
        if (!SpecNames.IsValidServiceName(canary, out _))
        {
            issues.Add(new SpecIssue("name", $"the canary's name \"{canary}\" would be too long; releases need service names of at most {63 - CanarySuffix.Length} characters"));
        }

        if (issues.Count > 0)
        {
            throw new ControlException(400, ErrorCodes.BadRequest, string.Join("; ", issues), issues);
        }

        lock (_lock)
        {
            var main = _services.Get(service);
            if (Load(service) is { } running && ReleaseStates.IsActive(running.State))
            {
                throw new ControlException(409, ErrorCodes.Conflict,
                    $"a release of \"{service}\" is already {running.State.ToLowerInvariant()} (eas release {service} --abort ends it)");
            }

            if (service.EndsWith(CanarySuffix, StringComparison.Ordinal))
            {
                throw new ControlException(400, ErrorCodes.BadRequest, $"\"{service}\" is itself a canary");
            }

            var current = _store.GetVersion(service, main.CurrentVersion) is { } v ? (JsonObject)JsonNode.Parse(v.SpecJson)! : [];
            var merged = SpecMerge.Merge(current, (JsonObject)request.Spec!.DeepClone());
            merged["name"] = canary;
            if (merged["metadata"] is JsonObject md)
            {
                md.Remove("name");
                md.Remove("group");
                if (md["instance"] is null)
                {
                    md["instance"] = Math.Max(1, main.DesiredInstances);
                }
            }

            var existing = _store.GetService(canary);
            if (existing is { Status: ServiceStates.Deleting })
            {
                throw new ControlException(409, ErrorCodes.Conflict, $"the previous canary \"{canary}\" is still being deleted; try again in a moment");
            }

            if (existing is null)
            {
                _services.Create(merged.ToJsonString());
            }
            else
            {
                // The canary of an earlier release, scaled to zero: it becomes the new version.
                _services.Modify(canary, merged.ToJsonString());
                _services.Start(canary);
            }

            var now = _time.GetUtcNow();
            var release = new ReleaseInfo
            {
                ServiceName = service,
                Canary = canary,
                State = ReleaseStates.Starting,
                Reason = $"starting {canary}",
                Steps = [.. steps],
                PauseSeconds = pause,
                MaxErrorRate = maxErrorRate,
                MaxP99Ratio = maxP99Ratio,
                MinCalls = minCalls,
                StartTime = now,
                UpdateTime = now,
                Spec = (JsonObject)request.Spec.DeepClone(),
            };
            Record(release, now, "Normal", "ReleaseStarted",
                $"canary release started: {canary} takes {string.Join("→", steps)} % of the calls, {pause:0.#} s per step, rolled back above {maxErrorRate:P1} 5xx or {maxP99Ratio:0.##}× p99");
            Save(release);
            _publisher.Sync();
            return release;
        }
    }

    /// <summary>The release of a service (the running one, or the last one).</summary>
    public ReleaseInfo Get(string service)
    {
        _services.Get(service);
        return Load(service) ?? throw new ControlException(404, ErrorCodes.ReleaseNotFound, $"service \"{service}\" has no release (start one with eas release {service} --spec new.json)");
    }

    /// <summary>pause | resume | abort | promote.</summary>
    public ReleaseInfo Act(string service, string action)
    {
        lock (_lock)
        {
            var release = Get(service);
            var now = _time.GetUtcNow();
            if (!ReleaseStates.IsActive(release.State))
            {
                throw new ControlException(409, ErrorCodes.Conflict, $"the release of \"{service}\" has ended ({release.State}: {release.Reason})");
            }

            switch (action)
            {
                case "pause" when release.State is ReleaseStates.Progressing or ReleaseStates.Starting:
                    release.State = ReleaseStates.Paused;
                    release.Reason = "paused by hand";
                    Record(release, now, "Normal", "ReleasePaused", $"paused by hand at {release.Weight} %");
                    break;
                case "resume" when release.State == ReleaseStates.Paused:
                    release.State = release.Step < 0 ? ReleaseStates.Starting : ReleaseStates.Progressing;
                    release.StepStartTime = now;
                    release.Reason = "resumed by hand";
                    Record(release, now, "Normal", "ReleaseResumed", $"resumed by hand at {release.Weight} %; the step's pause starts again");
                    break;
                case "abort":
                    RollBack(release, now, "aborted by hand", ReleaseStates.Aborted);
                    break;
                case "promote" when release.State != ReleaseStates.Promoting:
                    StartPromotion(release, now, "promoted by hand");
                    break;
                case "pause" or "resume" or "promote":
                    throw new ControlException(409, ErrorCodes.Conflict, $"cannot {action} a release that is {release.State}");
                default:
                    throw new ControlException(400, ErrorCodes.BadRequest, $"action: \"{action}\" is not pause, resume, abort or promote",
                        [new SpecIssue("action", "pause, resume, abort or promote")]);
            }

            Save(release);
            _publisher.Sync();
            return release;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using (var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    var closed = _secondClosed.Reader.WaitToReadAsync(tick.Token).AsTask();
                    await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(1), _time, tick.Token)).ConfigureAwait(false);
                    await tick.CancelAsync().ConfigureAwait(false);
                    _secondClosed.Reader.TryRead(out _);
                }

                stoppingToken.ThrowIfCancellationRequested();
                Tick();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is ControlException or InvalidOperationException or JsonException or Microsoft.Data.Sqlite.SqliteException)
            {
                Log.TickFailed(_logger, ex);
            }
        }
    }

    /// <summary>One look at every running release (also called by tests).</summary>
    public void Tick()
    {
        foreach (var (service, json) in _store.ListReleases())
        {
            if (JsonSerializer.Deserialize(json, EasJsonContext.Default.ReleaseInfo) is { } r && ReleaseStates.IsActive(r.State))
            {
                lock (_lock)
                {
                    if (Load(service) is { } release && ReleaseStates.IsActive(release.State))
                    {
                        Step(release);
                    }
                }
            }
        }
    }

    private void Step(ReleaseInfo release)
    {
        var now = _time.GetUtcNow();
        var canary = _store.GetService(release.Canary);
        var changed = false;
        if (canary is null || canary.Status == ServiceStates.Deleting)
        {
            if (release.State != ReleaseStates.Promoting)
            {
                release.Weight = 0;
                release.State = ReleaseStates.Aborted;
                release.Reason = $"the canary {release.Canary} was deleted";
                Record(release, now, "Warning", "ReleaseAborted", release.Reason);
                Save(release);
                _publisher.Sync();
                return;
            }
        }

        switch (release.State)
        {
            case ReleaseStates.Starting when canary is { Status: ServiceStates.Failed }:
                RollBack(release, now, $"the canary failed to start: {canary.Reason}", ReleaseStates.RolledBack);
                changed = true;
                break;
            case ReleaseStates.Starting when canary is { Status: ServiceStates.Running } && _reconciler.Instances(release.Canary).Any(i => i.Ready):
                release.State = ReleaseStates.Progressing;
                EnterStep(release, 0, now);
                changed = true;
                break;
            case ReleaseStates.Progressing or ReleaseStates.Paused when release.Step >= 0:
                changed = Judge(release, now);
                break;
            case ReleaseStates.Promoting:
                changed = Promote(release, now);
                break;
        }

        if (changed)
        {
            release.UpdateTime = now;
            Save(release);
            _publisher.Sync();
        }
        else if (release.Observed is not null)
        {
            Save(release); // the latest observation, for desc and the CLI's live view
        }
    }

    private bool Judge(ReleaseInfo release, DateTimeOffset now)
    {
        var stepStarted = release.StepStartTime ?? now;
        // From the second the step began in (the hub's points start on whole seconds), so its first calls count at once.
        var canary = _metrics.Query(release.Canary, null, DateTimeOffset.FromUnixTimeSeconds(stepStarted.ToUnixTimeSeconds()), now, 1).Points;

        // The baseline in the same seconds (same machine, same moment); only when it got too few calls then (at 100 %),
        // the minute before the step as well.
        var from = DateTimeOffset.FromUnixTimeSeconds(stepStarted.ToUnixTimeSeconds());
        var baseline = _metrics.Query(release.ServiceName, null, from, now, 1).Points;
        if (baseline.Sum(p => p.Requests) < CanaryPolicy.MinCallsForLatency)
        {
            baseline = _metrics.Query(release.ServiceName, null, from - BaselineLookBack, now, 1).Points;
        }

        var policy = new CanaryPolicy(release.MaxErrorRate, release.MaxP99Ratio, release.MinCalls, TimeSpan.FromSeconds(release.PauseSeconds));
        var verdict = CanaryJudge.Judge(canary, baseline, policy, stepStarted, now, release.State == ReleaseStates.Paused);
        release.Observed = verdict.Observed;
        switch (verdict.Decision)
        {
            case CanaryDecision.Rollback:
                RollBack(release, now, $"at {release.Weight} %: {verdict.Reason}", ReleaseStates.RolledBack);
                return true;
            case CanaryDecision.Advance when release.Step + 1 < release.Steps.Count:
                Record(release, now, "Normal", "ReleaseStepPassed", $"step {release.Step + 1}/{release.Steps.Count} ({release.Weight} %) passed: {verdict.Reason}");
                EnterStep(release, release.Step + 1, now);
                return true;
            case CanaryDecision.Advance:
                StartPromotion(release, now, $"every step passed: {verdict.Reason}");
                return true;
            default:
                if (release.State == ReleaseStates.Progressing)
                {
                    release.Reason = $"step {release.Step + 1}/{release.Steps.Count} at {release.Weight} %: {verdict.Reason}";
                }

                return false;
        }
    }

    private void EnterStep(ReleaseInfo release, int step, DateTimeOffset now)
    {
        release.Step = step;
        release.Weight = release.Steps[step];
        release.StepStartTime = now;
        release.Observed = null;
        release.Reason = $"step {step + 1}/{release.Steps.Count}: the canary takes {release.Weight} % of the calls";
        Record(release, now, "Normal", "ReleaseStep", release.Reason);
    }

    /// <summary>Traffic back to the baseline first (published at once), then the canary is scaled to zero (or deleted on abort).</summary>
    private void RollBack(ReleaseInfo release, DateTimeOffset now, string why, string state)
    {
        release.Weight = 0;
        release.State = state;
        release.Reason = why;
        release.UpdateTime = now;
        Save(release);
        _publisher.Sync();
        Record(release, now, state == ReleaseStates.Aborted ? "Normal" : "Warning", state == ReleaseStates.Aborted ? "ReleaseAborted" : "ReleaseRolledBack",
            (state == ReleaseStates.Aborted ? "release aborted: " : "rolled back: ") + why);
        Log.RolledBack(_logger, release.ServiceName, why);
        if (_store.GetService(release.Canary) is { Status: not ServiceStates.Deleting })
        {
            if (state == ReleaseStates.Aborted)
            {
                _services.Delete(release.Canary, $"release of {release.ServiceName} aborted");
            }
            else
            {
                _services.Scale(release.Canary, 0);
            }
        }
    }

    private void StartPromotion(ReleaseInfo release, DateTimeOffset now, string why)
    {
        var main = _services.Get(release.ServiceName);
        var spec = (JsonObject)release.Spec!.DeepClone();
        spec["name"] = release.ServiceName;
        if (spec["metadata"] is JsonObject md)
        {
            md.Remove("name");
        }

        var change = _services.Modify(release.ServiceName, spec.ToJsonString());
        release.PromotedVersion = change.Service.CurrentVersion;
        release.State = ReleaseStates.Promoting;
        release.Reason = $"{why}; rolling {release.ServiceName} to version {release.PromotedVersion} while the canary serves";
        Record(release, now, "Normal", "ReleasePromoting",
            $"promoting: {release.ServiceName} version {main.CurrentVersion} → {release.PromotedVersion}; the canary keeps {release.Weight} % until it is Ready");
    }

    /// <summary>Once the service runs its new version on every instance, it takes all traffic back and the canary is retired.</summary>
    private bool Promote(ReleaseInfo release, DateTimeOffset now)
    {
        var main = _services.Get(release.ServiceName);
        var instances = _reconciler.Instances(release.ServiceName);
        var ready = instances.Count(i => i.Ready && i.Version == release.PromotedVersion);
        if (main.CurrentVersion != release.PromotedVersion || main.Status != ServiceStates.Running || ready < Math.Max(1, main.DesiredInstances)
            || instances.Any(i => i.Version != release.PromotedVersion))
        {
            return false;
        }

        release.Weight = 0;
        release.State = ReleaseStates.Promoted;
        release.Reason = $"{release.ServiceName} runs version {release.PromotedVersion}; the canary is retired";
        Save(release);
        _publisher.Sync();
        Record(release, now, "Normal", "ReleasePromoted", release.Reason);
        if (_store.GetService(release.Canary) is { Status: not ServiceStates.Deleting })
        {
            _services.Delete(release.Canary, $"release of {release.ServiceName} promoted");
        }

        return true;
    }

    private void Record(ReleaseInfo release, DateTimeOffset now, string type, string reason, string message)
    {
        _store.AddEvent(release.ServiceName, now, type, reason, message);
        release.History.Add(new ServiceEvent { Time = now, Type = type, Reason = reason, Message = message });
    }

    private ReleaseInfo? Load(string service) =>
        _store.GetRelease(service) is { } json ? JsonSerializer.Deserialize(json, EasJsonContext.Default.ReleaseInfo) : null;

    private void Save(ReleaseInfo release) => _store.SaveRelease(release.ServiceName, JsonSerializer.Serialize(release, EasJsonContext.Default.ReleaseInfo));

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Release of {Service} rolled back: {Reason}")]
        public static partial void RolledBack(ILogger logger, string service, string reason);

        [LoggerMessage(2, LogLevel.Error, "Release pass failed")]
        public static partial void TickFailed(ILogger logger, Exception ex);
    }
}
