using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenEas.Contracts;
using OpenEas.Core.Hosting;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Runtime;
using OpenEas.Core.Specs;
using OpenEas.Core.Store;

namespace OpenEas.Core.Control;

/// <summary>
/// The control plane's verbs (create, modify, scale, stop, start, switch version, delete). Each
/// validates first and changes nothing on error, writes the desired state and an event, then wakes
/// the reconciler.
/// </summary>
public sealed class ServiceManager
{
    private const int MaxInstances = 1000;
    private readonly EasStore _store;
    private readonly Reconciler _reconciler;
    private readonly IInstanceRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly EasCoreOptions _options;
    private readonly Lock _writeLock = new();

    public ServiceManager(EasStore store, Reconciler reconciler, IInstanceRuntime runtime, TimeProvider time, EasCoreOptions options)
    {
        _store = store;
        _reconciler = reconciler;
        _runtime = runtime;
        _time = time;
        _options = options;
    }

    public ServiceDescription Create(string json)
    {
        var parsed = ParseOrThrow(json);
        var spec = parsed.Spec!;
        var now = _time.GetUtcNow();
        lock (_writeLock)
        {
            var record = new ServiceRecord
            {
                Name = spec.Name,
                CurrentVersion = 1,
                LatestVersion = 1,
                DesiredInstances = spec.Metadata.Instance,
                Status = ServiceStates.Creating,
                Token = NewToken(),
                CreateTime = now,
                UpdateTime = now,
            };
            if (_store.GetService(spec.Name) is { Status: ServiceStates.Deleting })
            {
                throw new ControlException(409, ErrorCodes.Conflict, $"service \"{spec.Name}\" is still being deleted; try again in a moment");
            }

            if (_store.ListGroupMembers().Any(m => m.Group == spec.Name))
            {
                throw new ControlException(409, ErrorCodes.Conflict, $"\"{spec.Name}\" is the name of a service group; a service needs another name");
            }

            _reconciler.ForgetSpecs(spec.Name);
            if (!_store.TryCreateService(record, spec.Raw.ToJsonString()))
            {
                throw new ControlException(409, ErrorCodes.ServiceExists, $"service \"{spec.Name}\" already exists; use modify to change it");
            }

            _store.AddEvent(spec.Name, now, "Normal", "Created", $"version 1 created with {spec.Metadata.Instance} instance(s)");
        }

        _reconciler.Trigger();
        return Describe(spec.Name, [.. parsed.Warnings, .. NotActedOn(spec)]);
    }

    /// <summary>Merges a partial spec into the current one: only the instance count changed → scale; otherwise a new version.</summary>
    public ServiceChangeResult Modify(string name, string patchJson)
    {
        JsonObject patch;
        try
        {
            patch = JsonNode.Parse(patchJson) as JsonObject
                ?? throw ControlException.InvalidSpec([new SpecIssue("", "must be a JSON object")]);
        }
        catch (JsonException ex)
        {
            throw new ControlException(400, ErrorCodes.MalformedJson, $"malformed JSON: {ex.Message}",
                [new SpecIssue("", $"malformed JSON: {ex.Message}")]);
        }

        var patchName = patch["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : null;
        if (patchName is not null && patchName != name)
        {
            throw ControlException.InvalidSpec([new SpecIssue("name", $"cannot rename a service (\"{name}\" → \"{patchName}\")")]);
        }

        string change;
        IReadOnlyList<SpecIssue> warnings;
        lock (_writeLock)
        {
            var service = Get(name);
            var current = _store.GetVersion(name, service.CurrentVersion)
                ?? throw new ControlException(500, ErrorCodes.VersionNotFound, $"version {service.CurrentVersion} of \"{name}\" is missing");
            // The spec in force: the stored version with the instance count scaling has set since.
            var currentSpec = WithInstances((JsonObject)JsonNode.Parse(current.SpecJson)!, service.DesiredInstances);
            JsonObject merged;
            try
            {
                merged = SpecMerge.Merge(currentSpec, patch);
            }
            catch (ArgumentException ex)
            {
                throw ControlException.InvalidSpec([new SpecIssue("", ex.Message)]);
            }

            var parsed = ParseOrThrow(merged.ToJsonString());
            warnings = [.. parsed.Warnings, .. NotActedOn(parsed.Spec!)];
            var now = _time.GetUtcNow();
            if (JsonNode.DeepEquals(currentSpec, merged))
            {
                change = "unchanged";
            }
            else if (SpecMerge.DiffersOnlyInInstanceCount(currentSpec, merged))
            {
                change = "scaled";
                ScaleLocked(service, parsed.Spec!.Metadata.Instance, now);
            }
            else
            {
                var version = service.LatestVersion + 1;
                _store.AddVersion(service with
                {
                    LatestVersion = version,
                    CurrentVersion = version,
                    DesiredInstances = parsed.Spec!.Metadata.Instance,
                    UpdateTime = now,
                }, merged.ToJsonString());
                _store.AddEvent(name, now, "Normal", "VersionCreated",
                    $"version {version} created; rolling from version {service.CurrentVersion} to {version}");
                change = "new-version";
            }
        }

        _reconciler.Trigger();
        return new ServiceChangeResult { Service = Describe(name, warnings), Change = change };
    }

    public ServiceChangeResult Scale(string name, int instances)
    {
        if (instances is < 0 or > MaxInstances)
        {
            throw ControlException.InvalidSpec([new SpecIssue("instance", $"must be between 0 and {MaxInstances}")]);
        }

        lock (_writeLock)
        {
            ScaleLocked(Get(name), instances, _time.GetUtcNow());
        }

        _reconciler.Trigger();
        return new ServiceChangeResult { Service = Describe(name), Change = "scaled" };
    }

    /// <summary>A scaling setting kept apart from the spec (so changing it makes no version): where it lives and how it is checked.</summary>
    private sealed record ScalingSetting(string SpecKey, Func<ServiceRecord, string?> Read, Func<ServiceRecord, string, ServiceRecord> Write,
        Func<string, IReadOnlyList<SpecIssue>> Validate, string SetEvent, string OffEvent, string What);

    private static readonly ScalingSetting AutoscalerSetting = new("autoscaler", s => s.Autoscaler, (s, v) => s with { Autoscaler = v },
        json => { Scaling.EffectiveAutoscaler.Parse(json, out var errors); return errors; },
        "AutoscalerSet", "AutoscalerOff", "autoscaler");

    private static readonly ScalingSetting CronSetting = new("cronscaler", s => s.CronScaler, (s, v) => s with { CronScaler = v },
        json => { Scaling.CronScaler.Parse(json, out var errors); return errors; },
        "CronScalerSet", "CronScalerOff", "scheduled scaling");

    /// <summary>The autoscaler in force (JSON) and where it comes from: "api", "spec" or "none".</summary>
    public (JsonNode? Autoscaler, string Source) GetAutoscaler(string name) => GetSetting(name, AutoscalerSetting);

    /// <summary>Sets (or with null turns off) the service's autoscaler without a new version: nothing restarts.</summary>
    public void SetAutoscaler(string name, string? json) => SetSetting(name, json, AutoscalerSetting);

    /// <summary>The scheduled scaling in force (EAS cronscale JSON) and where it comes from: "api", "spec" or "none".</summary>
    public (JsonNode? CronScaler, string Source) GetCronScaler(string name) => GetSetting(name, CronSetting);

    /// <summary>Sets (or with null turns off) scheduled scaling, apart from the spec.</summary>
    public void SetCronScaler(string name, string? json) => SetSetting(name, json, CronSetting);

    private (JsonNode?, string) GetSetting(string name, ScalingSetting setting)
    {
        var service = Get(name);
        switch (setting.Read(service))
        {
            case Scaling.EffectiveAutoscaler.Off:
                return (null, "none");
            case { } json:
                return (JsonNode.Parse(json), "api");
        }

        var spec = _store.GetVersion(name, service.CurrentVersion) is { } v ? JsonNode.Parse(v.SpecJson) : null;
        return spec?[setting.SpecKey] is { } own ? (own.DeepClone(), "spec") : (null, "none");
    }

    private void SetSetting(string name, string? json, ScalingSetting setting)
    {
        if (json is not null)
        {
            if (setting.Validate(json) is { Count: > 0 } errors)
            {
                throw ControlException.InvalidSpec(errors);
            }

            json = JsonNode.Parse(json)!.ToJsonString();
        }

        lock (_writeLock)
        {
            var service = Get(name);
            var now = _time.GetUtcNow();
            _store.UpdateService(setting.Write(service, json ?? Scaling.EffectiveAutoscaler.Off) with { UpdateTime = now });
            _store.AddEvent(name, now, "Normal", json is null ? setting.OffEvent : setting.SetEvent,
                json is null ? $"{setting.What} turned off" : $"{setting.What} set: {json}");
        }

        _reconciler.Trigger();
    }

    /// <summary>Applies an autoscaler decision: the instance count only, with the decision's reason as the event.</summary>
    public void Autoscale(string name, int instances, string reason, string eventReason = "Autoscaled")
    {
        lock (_writeLock)
        {
            var service = Get(name);
            if (service.DesiredInstances == instances || service.Stopped || service.Status == ServiceStates.Deleting)
            {
                return;
            }

            var now = _time.GetUtcNow();
            _store.UpdateService(service with { DesiredInstances = instances, UpdateTime = now });
            _store.AddEvent(name, now, "Normal", eventReason, reason);
        }

        _reconciler.Trigger();
    }

    private void ScaleLocked(ServiceRecord service, int instances, DateTimeOffset now)
    {
        if (service.DesiredInstances == instances)
        {
            return;
        }

        _store.UpdateService(service with { DesiredInstances = instances, UpdateTime = now });
        _store.AddEvent(service.Name, now, "Normal", "Scaled", $"instances {service.DesiredInstances} → {instances}");
    }

    public ServiceChangeResult Stop(string name) => SetStopped(name, true);

    public ServiceChangeResult Start(string name) => SetStopped(name, false);

    private ServiceChangeResult SetStopped(string name, bool stopped)
    {
        lock (_writeLock)
        {
            var service = Get(name);
            if (service.Stopped != stopped)
            {
                var now = _time.GetUtcNow();
                _store.UpdateService(service with { Stopped = stopped, UpdateTime = now });
                _store.AddEvent(name, now, "Normal", stopped ? "StopRequested" : "StartRequested",
                    stopped ? "stop requested by user" : $"start requested by user ({service.DesiredInstances} instance(s))");
            }
        }

        _reconciler.Trigger();
        return new ServiceChangeResult { Service = Describe(name), Change = stopped ? "stopped" : "started" };
    }

    public ServiceChangeResult SwitchVersion(string name, int version)
    {
        lock (_writeLock)
        {
            var service = Get(name);
            _ = _store.GetVersion(name, version)
                ?? throw new ControlException(404, ErrorCodes.VersionNotFound,
                    $"service \"{name}\" has no version {version} (versions 1-{service.LatestVersion})");
            if (service.CurrentVersion != version)
            {
                var now = _time.GetUtcNow();
                _store.UpdateService(service with { CurrentVersion = version, UpdateTime = now });
                _store.AddEvent(name, now, "Normal", "VersionSwitched",
                    $"switching from version {service.CurrentVersion} to version {version}");
            }
        }

        _reconciler.Trigger();
        return new ServiceChangeResult { Service = Describe(name), Change = "switched" };
    }

    /// <summary>Marks the service for deletion; the reconciler stops its instances and then removes it.</summary>
    /// <returns>The service as it is now (Deleting); it may be gone by the time the caller reads it again.</returns>
    public ServiceDescription Delete(string name, string why = "deleted by user")
    {
        ServiceDescription description;
        lock (_writeLock)
        {
            var service = Get(name);
            if (service.Status != ServiceStates.Deleting)
            {
                var now = _time.GetUtcNow();
                service = service with { Status = ServiceStates.Deleting, Reason = why, UpdateTime = now };
                _store.UpdateService(service);
                _store.AddEvent(name, now, "Normal", ServiceStates.Deleting, why);
            }

            description = Describe(service, null);
        }

        _reconciler.Trigger();
        return description;
    }

    /// <summary>The longest a rotated-out token may stay valid.</summary>
    public static readonly TimeSpan MaxTokenGrace = TimeSpan.FromDays(30);

    /// <summary>
    /// Gives the service a new token. The old one stays valid for <paramref name="grace"/> (so callers can switch
    /// over); a token replaced earlier and still in its grace stops at once. The event never carries a token.
    /// </summary>
    public ServiceDescription RotateToken(string name, TimeSpan grace)
    {
        if (grace < TimeSpan.Zero || grace > MaxTokenGrace)
        {
            throw new ControlException(400, ErrorCodes.BadRequest,
                $"graceSeconds: must be between 0 and {MaxTokenGrace.TotalSeconds:0} ({MaxTokenGrace.TotalDays:0} days)",
                [new SpecIssue("graceSeconds", $"must be between 0 and {MaxTokenGrace.TotalSeconds:0}")]);
        }

        lock (_writeLock)
        {
            var service = Get(name);
            var now = _time.GetUtcNow();
            var expires = now + grace;
            _store.UpdateService(service with
            {
                Token = NewToken(),
                PreviousToken = grace > TimeSpan.Zero ? service.Token : null,
                PreviousTokenExpires = grace > TimeSpan.Zero ? expires : null,
                UpdateTime = now,
            });
            _store.AddEvent(name, now, "Normal", "TokenRotated", grace > TimeSpan.Zero
                ? $"access token rotated; the previous token is accepted until {expires.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} ({grace.TotalSeconds:0} s grace)"
                : "access token rotated; the previous token stopped working at once");
        }

        _reconciler.Trigger();
        return Describe(name);
    }

    public List<ServiceDescription> List() => [.. _store.ListServices().Select(s => Describe(s, null))];

    public ServiceDescription Describe(string name, IReadOnlyList<SpecIssue>? warnings = null) => Describe(Get(name), warnings);

    public List<ServiceVersionInfo> Versions(string name)
    {
        var service = Get(name);
        return [.. _store.ListVersions(name).Select(v => new ServiceVersionInfo
        {
            Version = v.Version,
            CreateTime = v.CreateTime,
            Current = v.Version == service.CurrentVersion,
            Latest = v.Version == service.LatestVersion,
            ServiceConfig = JsonNode.Parse(v.SpecJson) as JsonObject,
        })];
    }

    public List<ServiceEvent> Events(string name, int limit)
    {
        // Events outlive a deleted service (an audit trail); a new service of the same name starts afresh.
        var service = Get(name);
        return [.. _store.ListEvents(name, Math.Clamp(limit, 1, 10_000), since: service.CreateTime).Select(e => new ServiceEvent
        {
            Id = e.Id,
            Time = e.Time,
            Type = e.Type,
            Reason = e.Reason,
            Message = e.Message,
            Instance = e.Instance,
        })];
    }

    public List<InstanceInfo> Instances(string name)
    {
        Get(name);
        return _reconciler.Instances(name);
    }

    public void RestartInstances(string name, IReadOnlyCollection<string> instances)
    {
        Get(name);
        var unknown = _reconciler.RestartInstances(name, instances);
        if (unknown.Count > 0)
        {
            throw new ControlException(404, ErrorCodes.InstanceNotFound,
                $"service \"{name}\" has no instance {string.Join(", ", unknown.Select(u => $"\"{u}\""))}");
        }
    }

    internal ServiceRecord Get(string name) => _store.GetService(name) ?? throw ControlException.NotFound(name);

    private ServiceDescription Describe(ServiceRecord s, IReadOnlyList<SpecIssue>? warnings)
    {
        var instances = _reconciler.Instances(s.Name);
        // The description shows the instance count in force, which scaling changes without a new version.
        var config = _store.GetVersion(s.Name, s.CurrentVersion) is { } v && JsonNode.Parse(v.SpecJson) is JsonObject stored
            ? WithInstances(stored, s.DesiredInstances)
            : null;

        var spec = ServiceSpecParser.Parse(config ?? []).Spec;
        var membership = _store.ListGroupMembers().FirstOrDefault(m => m.Service == s.Name);
        var release = _store.GetRelease(s.Name) is { } releaseJson
            ? JsonSerializer.Deserialize(releaseJson, EasJsonContext.Default.ReleaseInfo)
            : null;
        var mirror = _store.ListMirrors().FirstOrDefault(m => m.Service == s.Name);
        return new ServiceDescription
        {
            ServiceName = s.Name,
            Status = s.Status,
            Reason = s.Reason,
            Message = s.Message,
            RunningInstance = instances.Count(i => i.Ready),
            PendingInstance = instances.Count(i => !i.Ready && i.Status != InstanceStates.Draining),
            TotalInstance = s.EffectiveReplicas,
            DesiredInstance = s.DesiredInstances,
            CurrentVersion = s.CurrentVersion,
            LatestVersion = s.LatestVersion,
            AccessToken = s.Token,
            IntranetEndpoint = $"{_options.PublicEndpoint.TrimEnd('/')}/api/predict/{s.Name}",
            InternetEndpoint = $"{_options.PublicEndpoint.TrimEnd('/')}/api/predict/{s.Name}",
            Resource = spec?.Metadata.Resource ?? "public",
            ServiceGroup = membership?.Group ?? spec?.Metadata.Group ?? "",
            Weight = membership?.Weight ?? 100,
            Release = release is null ? null : WithoutSpec(release),
            Mirror = mirror is null ? null : new MirrorSetting { Ratio = mirror.Ratio, Target = [.. mirror.Targets] },
            CreateTime = s.CreateTime,
            UpdateTime = s.UpdateTime,
            ServiceConfig = config,
            Warnings = warnings is { Count: > 0 } ? warnings : null,
            Scaling = spec is null ? null : ScalingOf(s, spec),
        };
    }

    private ScalingInfo? ScalingOf(ServiceRecord service, ServiceSpec spec)
    {
        var autoscaler = Scaling.EffectiveAutoscaler.Resolve(service, spec);
        var cron = Scaling.EffectiveAutoscaler.ResolveCron(service, spec);
        var scheduled = cron is not null;
        if (autoscaler is null && !scheduled)
        {
            return null;
        }

        var next = cron is null ? null : Scaling.CronScaler.Next(cron, _time.GetUtcNow());

        return new ScalingInfo
        {
            Source = autoscaler is null ? "none" : service.Autoscaler is null ? "spec" : "api",
            Min = autoscaler?.Min,
            Max = autoscaler?.Max,
            Targets = autoscaler?.Targets.Select(t => $"{t.Metric} {t.Target:0.##}/inst").ToList() ?? [],
            Scheduled = scheduled,
            ScheduledJobs = cron?.Jobs.Select(j => $"{j.Name} \"{j.ScheduleText}\" → {j.TargetSize} ({j.TimeZone.Id})").ToList() ?? [],
            NextScheduled = next is { } n ? $"{n.Job} → {n.TargetSize} at {n.At.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" : null,
            Recent = [.. _store.ListEvents(service.Name, 200, since: service.CreateTime)
                .Where(e => e.Reason is "Autoscaled" or "CronScaled").TakeLast(5)
                .Select(e => new ServiceEvent { Id = e.Id, Time = e.Time, Type = e.Type, Reason = e.Reason, Message = e.Message })],
        };
    }

    /// <summary>A release as desc shows it: its state and last events, not the spec it carries.</summary>
    private static ReleaseInfo WithoutSpec(ReleaseInfo r) => new()
    {
        ServiceName = r.ServiceName,
        Canary = r.Canary,
        State = r.State,
        Reason = r.Reason,
        Steps = r.Steps,
        Step = r.Step,
        Weight = r.Weight,
        PauseSeconds = r.PauseSeconds,
        MaxErrorRate = r.MaxErrorRate,
        MaxP99Ratio = r.MaxP99Ratio,
        MinCalls = r.MinCalls,
        StartTime = r.StartTime,
        StepStartTime = r.StepStartTime,
        UpdateTime = r.UpdateTime,
        PromotedVersion = r.PromotedVersion,
        Observed = r.Observed,
        History = [.. r.History.TakeLast(5)],
    };

    /// <summary>A spec with <c>metadata.instance</c> set to the given count.</summary>
    private static JsonObject WithInstances(JsonObject spec, int instances)
    {
        if (spec["metadata"] is not JsonObject meta)
        {
            meta = [];
            spec["metadata"] = meta;
        }

        meta["instance"] = instances;
        return spec;
    }

    /// <summary>Fields that are accepted and kept but that this build does not act on yet: said plainly, not ignored silently.</summary>
    private static IEnumerable<SpecIssue> NotActedOn(ServiceSpec spec)
    {
        const string Kept = "accepted and kept, but not acted on yet";
        var raw = spec.Raw;
        if (!spec.IsAsync && spec.Autoscaler?.Targets.Any(t => t.Metric == "backlog") == true)
        {
            yield return new SpecIssue("autoscaler", $"{Kept}: the backlog metric is the input queue of an async service (metadata.type \"Async\"); this service has none");
        }

        if (!spec.IsAsync && spec.Raw["queue"] is not null)
        {
            yield return new SpecIssue("queue", $"{Kept}: queue settings apply to async services (metadata.type \"Async\") only");
        }

        if (spec.Metadata.Gpu > 0)
        {
            yield return new SpecIssue("metadata.gpu",
                "GPUs are counted against the resource group's declared gpu capacity; the process runtime does not bind devices (CUDA_VISIBLE_DEVICES is the program's own)");
        }

        for (var i = 0; i < spec.Containers.Count; i++)
        {
            if (spec.Containers[i].PythonRequirements is { Count: > 0 } || spec.Containers[i].PythonRequirementsPath is not null)
            {
                yield return new SpecIssue($"containers[{i}].prepare", $"{Kept}: install requirements in the program's script for now");
            }

            if (i > 0)
            {
                yield return new SpecIssue($"containers[{i}]", $"{Kept}: the process runtime runs containers[0] only");
            }
        }
    }

    private SpecParseResult ParseOrThrow(string json)
    {
        var parsed = ServiceSpecParser.Parse(json);
        if (!parsed.IsValid)
        {
            var code = parsed.Errors.Any(e => e.Message.StartsWith("malformed JSON", StringComparison.Ordinal))
                ? ErrorCodes.MalformedJson : ErrorCodes.InvalidSpec;
            throw new ControlException(400, code, "the service spec is invalid: " + string.Join("; ", parsed.Errors), parsed.Errors);
        }

        if (parsed.Spec!.Raw["cronscaler"] is { } cron)
        {
            Scaling.CronScaler.Parse(cron.ToJsonString(), out var cronErrors);
            if (cronErrors.Count > 0)
            {
                throw ControlException.InvalidSpec([.. cronErrors.Select(e => new SpecIssue(e.Path.Length == 0 ? "cronscaler" : "cronscaler." + e.Path, e.Message))]);
            }
        }

        if (parsed.Spec!.Metadata.Group is { } serviceGroup)
        {
            if (!SpecNames.IsValidServiceName(serviceGroup, out var groupError))
            {
                throw ControlException.InvalidSpec([new SpecIssue("metadata.group", groupError!)]);
            }

            if (_store.GetService(serviceGroup) is not null)
            {
                throw ControlException.InvalidSpec([new SpecIssue("metadata.group", $"\"{serviceGroup}\" is the name of a service; a group needs its own name")]);
            }
        }

        var groupIssues = ResourceManager.CheckGroups(_store, parsed.Spec!);
        if (groupIssues.Count > 0)
        {
            throw ControlException.InvalidSpec(groupIssues);
        }

        var runtimeIssues = _runtime.Validate(parsed.Spec!);
        if (runtimeIssues.Count > 0)
        {
            throw ControlException.InvalidSpec(runtimeIssues);
        }

        return parsed;
    }

    /// <summary>A service token: 256 random bits, URL-safe base64.</summary>
    private static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
