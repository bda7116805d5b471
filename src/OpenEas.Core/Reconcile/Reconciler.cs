using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenEas.Contracts;
using OpenEas.Core.Hosting;
using OpenEas.Core.Resources;
using OpenEas.Core.Routing;
using OpenEas.Core.Runtime;
using OpenEas.Core.Specs;
using OpenEas.Core.Store;

namespace OpenEas.Core.Reconcile;

/// <summary>
/// Converges what runs to what the store asks for. The only writer of instance state: it starts and
/// drains instances through their agents, publishes Ready endpoints to the gateway, computes each
/// service's status, and records every transition as an event. After a server restart it adopts the
/// instances still running and kills whatever of this data dir it does not know.
/// </summary>
public sealed class Reconciler : BackgroundService
{
    private readonly EasStore _store;
    private readonly IInstanceRuntime _runtime;
    private readonly RouteTable _routes;
    private readonly TimeProvider _time;
    private readonly EasCoreOptions _options;
    private readonly ILogger<Reconciler> _logger;
    private readonly HostCapacity _capacity;
    private readonly PortAllocator _ports = new();
    private readonly ProbeRunner _probes = new();
    /// <summary>The group every server has: this host.</summary>
    public const string PublicGroup = "public";

    /// <summary>How long before a preemption deadline an instance drains at the latest (half the notice when shorter).</summary>
    private static readonly TimeSpan DefaultPreemptLead = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, InstanceAgent> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Generation, string State)> _persisted = [];
    private readonly ConcurrentDictionary<(string, int), ServiceSpec> _specs = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _passLock = new(1, 1);
    private readonly Dictionary<string, BatchState> _batches = new(StringComparer.Ordinal);
    private long _passes;

    public Reconciler(EasStore store, IInstanceRuntime runtime, RouteTable routes, TimeProvider time, EasCoreOptions options,
        ILogger<Reconciler> logger)
    {
        _store = store;
        _runtime = runtime;
        _routes = routes;
        _time = time;
        _options = options;
        _logger = logger;
        var host = HostCapacity.Detect();
        _capacity = new HostCapacity(options.CapacityCpu ?? host.Cpu, options.CapacityMemoryMb ?? host.MemoryMb, host.Gpu);
    }

    /// <summary>Raised after every reconcile pass (traffic splits follow group membership from here).</summary>
    public event Action? PassCompleted;

    /// <summary>The node capacity instances are placed against.</summary>
    public HostCapacity Capacity => _capacity;

    /// <summary>Asks for a reconcile pass soon (coalesced).</summary>
    public void Trigger() => _wake.Writer.TryWrite(true);

    /// <summary>Runs one pass now (used by the API to answer with fresh state, and by tests).</summary>
    public async Task ReconcileNowAsync(CancellationToken ct = default)
    {
        await _passLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var started = _time.GetTimestamp();
            Pass();
            var took = _time.GetElapsedTime(started);
            if (took > TimeSpan.FromMilliseconds(250))
            {
                ReconcilerLog.SlowPass(_logger, took.TotalMilliseconds);
            }
        }
        finally
        {
            _passLock.Release();
        }
    }

    /// <summary>The live instances of a service, as the API shows them.</summary>
    public List<InstanceInfo> Instances(string service)
    {
        var list = new List<InstanceInfo>();
        foreach (var a in _agents.Values.Where(a => a.Service == service && !a.Done).OrderBy(a => a.CreateTime).ThenBy(a => a.Id))
        {
            list.Add(new InstanceInfo
            {
                InstanceName = a.Id,
                Version = a.Version,
                Status = a.State,
                Ready = a.Ready,
                Port = a.Port,
                Pid = a.Pid,
                ResourceGroup = a.Group,
                Spot = a.Spot,
                Overflow = a.Overflow,
                PreemptAt = a.PreemptAt,
                CreateTime = a.CreateTime,
                StartTime = a.StartTime,
                RestartCount = a.RestartCount,
                Reason = a.Reason,
                Message = a.Message,
                LastState = a.LastExit is { } e
                    ? new InstanceLastState { ExitCode = e.ExitCode, Reason = e.Reason, FinishedAt = a.LastFinishedAt ?? default }
                    : null,
            });
        }

        return list;
    }

    /// <summary>Every started instance with a process: (service, instance, pid), for the metrics collector.</summary>
    public List<(string Service, string Instance, int Pid)> LiveInstances()
    {
        var list = new List<(string, string, int)>();
        foreach (var a in _agents.Values)
        {
            if (!a.Done && a.Pid is { } pid)
            {
                list.Add((a.Service, a.Id, pid));
            }
        }

        return list;
    }

    /// <summary>The directory of a live instance (for its logs), or null.</summary>
    public string? InstanceDirectory(string service, string instance) =>
        _agents.TryGetValue(instance, out var a) && a.Service == service ? a.Directory : null;

    /// <summary>Restarts instances the way <c>eas dw</c> does: drain them; replacements are started by the next pass.</summary>
    public IReadOnlyList<string> RestartInstances(string service, IReadOnlyCollection<string> names)
    {
        var unknown = new List<string>();
        foreach (var name in names)
        {
            if (_agents.TryGetValue(name, out var agent) && agent.Service == service && !agent.Leaving)
            {
                agent.Drain(TimeSpan.FromSeconds(agent.Spec.Metadata.TerminationGracePeriodSeconds), "deleted by user; a replacement is started");
            }
            else
            {
                unknown.Add(name);
            }
        }

        Trigger();
        return unknown;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        Recover();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Trigger();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileNowAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                ReconcilerLog.PassFailed(_logger, ex);
            }

            // Wake on a change, or once a second for time-based work (pending placement, rotation).
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var read = _wake.Reader.WaitToReadAsync(tick.Token).AsTask();
            var delay = Task.Delay(TimeSpan.FromSeconds(1), _time, tick.Token);
            await Task.WhenAny(read, delay).ConfigureAwait(false);
            await tick.CancelAsync().ConfigureAwait(false);
            _wake.Reader.TryRead(out _);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!_options.StopInstancesOnShutdown)
        {
            return;
        }

        var agents = _agents.Values.ToList();
        foreach (var a in agents)
        {
            a.Drain(TimeSpan.FromSeconds(2), "server shutting down");
        }

        var all = Task.WhenAll(agents.Select(a => a.Completion));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(15), TimeProvider.System, CancellationToken.None)).ConfigureAwait(false);
        foreach (var a in agents)
        {
            a.KillNow();
            _store.DeleteInstance(a.Id);
        }
    }

    public override void Dispose()
    {
        _probes.Dispose();
        _passLock.Dispose();
        base.Dispose();
    }

    // ---- recovery -------------------------------------------------------------------------

    private void Recover()
    {
        var services = _store.ListServices().ToDictionary(s => s.Name, StringComparer.Ordinal);
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _store.ListInstances())
        {
            IInstanceHandle? handle = record.Pid is { } pid ? _runtime.TryAdopt(record.Id, pid) : null;
            if (handle is null || !services.ContainsKey(record.Service) || SpecFor(record.Service, record.Version) is not { } spec)
            {
                handle?.Kill();
                _store.DeleteInstance(record.Id);
                continue;
            }

            known.Add(record.Id);
            var agent = NewAgent(record.Id, record.Service, record.Version, spec, record.CreateTime);
            agent.Place(record.ResourceGroup, record.Overflow, _store.GetResourceGroup(record.ResourceGroup)?.Spot ?? false);
            if (record.PreemptAt is { } preemptAt)
            {
                agent.Preempt(preemptAt, DefaultPreemptLead);
            }

            _agents[record.Id] = agent;
            ReconcilerLog.Adopted(_logger, record.Id, handle.Pid);
            _store.AddEvent(record.Service, _time.GetUtcNow(), "Normal", "InstanceAdopted",
                $"instance {record.Id} (pid {handle.Pid}) was still running and was adopted by the restarted server", record.Id);
            agent.Launch(handle, record.Port);
        }

        var killed = _runtime.KillOrphans(known);
        if (killed > 0)
        {
            ReconcilerLog.KilledOrphans(_logger, killed);
        }
    }

    // ---- one pass -------------------------------------------------------------------------

    private void Pass()
    {
        var now = _time.GetUtcNow();
        var services = _store.ListServices();
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);

        // Instances of services that no longer exist.
        foreach (var agent in _agents.Values)
        {
            if (!byName.ContainsKey(agent.Service) && !agent.Leaving)
            {
                agent.Drain(TimeSpan.Zero, "service deleted");
            }
        }

        var rooms = Rooms(now, settle: true);
        foreach (var service in services)
        {
            ReconcileService(service, now, rooms);
        }

        Persist(byName);
        if (++_passes % 10 == 0)
        {
            RotateLogs();
        }

        PassCompleted?.Invoke();
    }

    /// <summary>
    /// Every group's room now: <c>public</c> is this host; dedicated groups offer what they declare, less what a
    /// preemption reclaimed (until it comes back). Instances under a preemption notice are not counted: the
    /// reclaimed capacity is theirs. A pass (<paramref name="settle"/>) also clears reclaims that have ended.
    /// </summary>
    private Dictionary<string, GroupRoom> Rooms(DateTimeOffset now, bool settle)
    {
        var rooms = new Dictionary<string, GroupRoom>(StringComparer.Ordinal)
        {
            [PublicGroup] = new(PublicGroup, new ResourceAmount(_capacity.Cpu, _capacity.MemoryMb, _capacity.Gpu), ResourceAmount.Zero,
                ResourceAmount.Zero, Spot: false),
        };
        foreach (var g in _store.ListResourceGroups())
        {
            var reclaimed = ResourceAmount.Zero;
            if (g.ReclaimedUntil is { } until)
            {
                if (until > now)
                {
                    reclaimed = new ResourceAmount(g.ReclaimedCpu, g.ReclaimedMemoryMb, g.ReclaimedGpu);
                }
                else if (settle)
                {
                    _store.UpdateResourceGroup(g with { ReclaimedCpu = 0, ReclaimedMemoryMb = 0, ReclaimedGpu = 0, ReclaimedUntil = null });
                    ReconcilerLog.CapacityBack(_logger, g.Name);
                }
            }

            rooms[g.Name] = new GroupRoom(g.Name, new ResourceAmount(g.Cpu, g.MemoryMb, g.Gpu), ResourceAmount.Zero, reclaimed, g.Spot);
        }

        foreach (var a in _agents.Values)
        {
            if (a.Started && !a.Done && a.PreemptAt is null && rooms.TryGetValue(a.Group, out var room))
            {
                rooms[a.Group] = room with { Used = room.Used + Need(a) };
            }
        }

        return rooms;
    }

    private static ResourceAmount Need(InstanceAgent a) => new(a.Cpu, a.MemoryMb, a.Gpu);

    /// <summary>What the resource groups hold now, for the API: (room, instances placed there).</summary>
    public IReadOnlyDictionary<string, (GroupRoom Room, List<InstanceInfo> Instances)> ResourceUsage()
    {
        var rooms = Rooms(_time.GetUtcNow(), settle: false);
        var result = new Dictionary<string, (GroupRoom, List<InstanceInfo>)>(StringComparer.Ordinal);
        var placed = _agents.Values.Where(a => !a.Done && a.Group.Length > 0).Select(a => a.Service).Distinct(StringComparer.Ordinal)
            .SelectMany(Instances).ToList();
        foreach (var (name, room) in rooms)
        {
            result[name] = (room, placed.Where(i => i.ResourceGroup == name).ToList());
        }

        return result;
    }

    /// <summary>
    /// A preemption notice for a spot group: the chosen instances die at <c>now + notice</c>, the capacity they held
    /// (the whole group's when none are named) is reclaimed until <c>now + reclaim</c>. Replacements start at once
    /// where the services' placement order allows; the doomed drain as soon as their replacements are Ready, and
    /// at the latest shortly before the deadline.
    /// </summary>
    public PreemptResult Preempt(ResourceGroupRecord group, IReadOnlyCollection<string>? instances, int? count, TimeSpan notice, TimeSpan reclaim)
    {
        var now = _time.GetUtcNow();
        var inGroup = _agents.Values.Where(a => a.Group == group.Name && a.Started && !a.Done && !a.Leaving && a.PreemptAt is null)
            .OrderByDescending(a => a.CreateTime).ToList();
        List<InstanceAgent> doomed;
        if (instances is { Count: > 0 })
        {
            var unknown = instances.Where(i => !inGroup.Any(a => a.Id == i)).ToList();
            if (unknown.Count > 0)
            {
                throw new ArgumentException(
                    $"resource group \"{group.Name}\" runs no instance {string.Join(", ", unknown.Select(u => $"\"{u}\""))} (see 'eas resource li {group.Name}')");
            }

            doomed = inGroup.Where(a => instances.Contains(a.Id)).ToList();
        }
        else
        {
            doomed = count is { } n ? inGroup.Take(n).ToList() : inGroup;
        }

        var whole = instances is not { Count: > 0 } && count is null;
        var reclaimed = whole
            ? new ResourceAmount(group.Cpu, group.MemoryMb, group.Gpu)
            : doomed.Aggregate(ResourceAmount.Zero, (sum, a) => sum + Need(a));
        var previous = group.ReclaimedUntil > now ? new ResourceAmount(group.ReclaimedCpu, group.ReclaimedMemoryMb, group.ReclaimedGpu) : ResourceAmount.Zero;
        var total = previous + reclaimed;
        total = new ResourceAmount(Math.Min(total.Cpu, group.Cpu), Math.Min(total.MemoryMb, group.MemoryMb), Math.Min(total.Gpu, group.Gpu));
        var until = now + reclaim;
        if (group.ReclaimedUntil is { } was && was > until)
        {
            until = was;
        }

        _store.UpdateResourceGroup(group with
        {
            ReclaimedCpu = total.Cpu,
            ReclaimedMemoryMb = total.MemoryMb,
            ReclaimedGpu = total.Gpu,
            ReclaimedUntil = until,
        });

        var deadline = now + notice;
        var lead = TimeSpan.FromTicks(Math.Min(DefaultPreemptLead.Ticks, notice.Ticks / 2));
        foreach (var agent in doomed)
        {
            agent.Preempt(deadline, lead);
            _store.AddEvent(agent.Service, now, "Warning", "Preempted",
                $"instance {agent.Id}: spot capacity of group {group.Name} is reclaimed at {deadline:HH:mm:ss} UTC ({notice.TotalSeconds:0.#}s notice); starting a replacement",
                agent.Id);
        }

        Trigger();
        return new PreemptResult
        {
            ResourceName = group.Name,
            Instances = [.. doomed.Select(a => a.Id)],
            Deadline = deadline,
            ReclaimedUntil = until,
            ReclaimedCpu = total.Cpu,
            ReclaimedMemory = total.MemoryMb,
            ReclaimedGpu = total.Gpu,
        };
    }

    private void ReconcileService(ServiceRecord service, DateTimeOffset now, Dictionary<string, GroupRoom> rooms)
    {
        var deleting = service.Status == ServiceStates.Deleting;
        var agents = _agents.Values.Where(a => a.Service == service.Name && !a.Done).ToList();
        if (deleting && agents.Count == 0)
        {
            _routes.Remove(service.Name);
            // Files first: once the service reads as gone (404), nothing of it is left on disk.
            TryDeleteDirectory(Path.Combine(_options.InstancesDir, service.Name));
            _store.AddEvent(service.Name, now, "Normal", "Deleted", "service deleted; its instances are gone");
            _store.DeleteService(service.Name);
            return;
        }

        var spec = SpecFor(service.Name, service.CurrentVersion);
        var desired = deleting || spec is null ? 0 : service.EffectiveReplicas;
        // Instances under a preemption notice still serve, but the plan already counts them as gone.
        var live = agents.Where(a => !a.Leaving && a.PreemptAt is null).ToList();
        var rolling = spec?.Metadata.RollingStrategy ?? new RollingStrategy();
        var strategy = rolling.Resolve(desired);
        var (cap, batch) = BatchPlanner.Cap(desired, service.CurrentVersion, rolling.Batches, TimeSpan.FromSeconds(rolling.PauseSeconds),
            live.Count(a => a.Version == service.CurrentVersion && a.Ready), live.Count(a => a.Version != service.CurrentVersion),
            _batches.GetValueOrDefault(service.Name), now);
        if (batch is null)
        {
            _batches.Remove(service.Name);
        }
        else
        {
            if (_batches.GetValueOrDefault(service.Name)?.Batch != batch.Batch)
            {
                _store.AddEvent(service.Name, now, "Normal", "UpdateBatch",
                    $"update to version {service.CurrentVersion}: batch {batch.Batch}/{rolling.Batches}, up to {cap} of {desired} instance(s) on the new version"
                    + (rolling.PauseSeconds > 0 ? $", then a {rolling.PauseSeconds:0.#} s pause" : ""));
            }

            _batches[service.Name] = batch;
        }

        var plan = RolloutPlanner.Plan(desired, service.CurrentVersion,
            live.Select(a => new PlanInstance(a.Id, a.Version, a.Ready, !a.Started, a.CreateTime, a.Overflow)).ToList(),
            strategy.Surge, strategy.Unavailable, cap);
        RetirePreempted(agents, live, desired, now);

        foreach (var id in plan.Drain)
        {
            var agent = _agents[id];
            var why = deleting ? "service deleted"
                : service.Stopped ? "service stopped"
                : agent.Version != service.CurrentVersion ? $"replaced by version {service.CurrentVersion}"
                : "scaled in";
            agent.Drain(TimeSpan.FromSeconds(agent.Spec.Metadata.TerminationGracePeriodSeconds), why);
        }

        for (var i = 0; i < plan.Create && spec is not null; i++)
        {
            var id = NewInstanceId(service.Name, service.CurrentVersion);
            var agent = NewAgent(id, service.Name, service.CurrentVersion, spec, now);
            _agents[id] = agent;
        }

        // Place what waits, oldest first: the first group of the service's placement order with room.
        foreach (var agent in _agents.Values.Where(a => a.Service == service.Name && !a.Started && !a.Leaving && !a.Done)
                     .OrderBy(a => a.CreateTime))
        {
            var placement = ResourcePlacer.Place(Need(agent), agent.Spec.Metadata.PlacementOrder(), rooms);
            if (placement.Group is { } group)
            {
                var room = rooms[group];
                rooms[group] = room with { Used = room.Used + Need(agent) };
                agent.Place(group, placement.Overflow, room.Spot);
                agent.Launch();
            }
            else
            {
                agent.Wait(placement.WaitReason);
            }
        }

        var instances = _agents.Values.Where(a => a.Service == service.Name && !a.Done)
            .Select(a => new StatusInstance(a.Id, a.Version, a.State, a.Ready && !a.Leaving, a.Reason, a.Message, a.RestartCount)).ToList();
        var status = spec is null
            ? new ServiceStatus(ServiceStates.Failed, $"version {service.CurrentVersion} cannot be read", "")
            : ServiceStatusEvaluator.Evaluate(deleting, service.Stopped, desired, service.CurrentVersion, instances, service.Status);

        // Publish Ready endpoints (the gateway's only source), and why there are none when there are none.
        // A rotated-out token is published only while its grace lasts; the gateway judges the exact expiry.
        var previous = service.PreviousTokenExpires > now ? service.PreviousToken : null;
        var auth = new RouteAuth(service.Token, previous, previous is null ? null : service.PreviousTokenExpires, spec?.Metadata.Anonymous ?? false);
        var ready = _agents.Values.Where(a => a.Service == service.Name && a.Ready && !a.Leaving && !a.Done)
            .OrderBy(a => a.Id, StringComparer.Ordinal)
            .Select(a => (a.Id, $"http://127.0.0.1:{a.Port}/"))
            .ToList();
        _routes.Publish(service.Name, auth, PolicyOf(spec, Scaling.EffectiveAutoscaler.Resolve(service, spec)), ready,
            ready.Count == 0 ? ServiceStatusEvaluator.Unavailable(status, desired) : "");

        // Status, with an event on each change.
        // The message counts too: after a scale-in the service stays Running, and "3/3 instances ready" would stay.
        if (status.Status != service.Status || status.Reason != service.Reason || status.Message != service.Message)
        {
            var idle = status.Status is ServiceStates.Stopped or ServiceStates.Failed or ServiceStates.Waiting;
            _store.UpdateStatus(service.Name, status.Status, status.Reason, status.Message, idle ? service.IdleSince ?? now : null);
            if (status.Status != service.Status)
            {
                var type = status.Status is ServiceStates.Failed or ServiceStates.Waiting ? "Warning" : "Normal";
                _store.AddEvent(service.Name, now, type, status.Status,
                    string.IsNullOrEmpty(status.Reason) ? $"{service.Status} → {status.Status}" : $"{service.Status} → {status.Status}: {status.Reason}");
                ReconcilerLog.StatusChanged(_logger, service.Name, status.Status, status.Reason);
            }
        }
    }

    /// <summary>
    /// Instances under a preemption notice leave once enough replacements are Ready (so capacity never dips), at the
    /// latest <see cref="InstanceAgent.PreemptLead"/> before the deadline; at the deadline whatever is left is killed,
    /// as the cloud would.
    /// </summary>
    private static void RetirePreempted(List<InstanceAgent> agents, List<InstanceAgent> live, int desired, DateTimeOffset now)
    {
        var doomed = agents.Where(a => a.PreemptAt is not null && !a.Done).ToList();
        if (doomed.Count == 0)
        {
            return;
        }

        var spare = live.Count(a => a.Ready) + doomed.Count(a => a.Ready && !a.Leaving) - desired;
        foreach (var agent in doomed.OrderBy(a => a.Ready ? 1 : 0).ThenBy(a => a.PreemptAt))
        {
            var at = agent.PreemptAt!.Value;
            if (now >= at)
            {
                agent.Drain(TimeSpan.Zero, "preempted: spot capacity reclaimed");
                agent.KillNow();
                continue;
            }

            if (agent.Leaving)
            {
                continue;
            }

            var replaced = !agent.Ready || spare > 0;
            if (replaced || now >= at - agent.PreemptLead)
            {
                if (agent.Ready)
                {
                    spare--;
                }

                agent.Drain(at - now, replaced
                    ? "preempted: its replacement is ready"
                    : "preempted: the notice period is ending");
            }
        }
    }

    private void Persist(Dictionary<string, ServiceRecord> services)
    {
        var now = _time.GetUtcNow();
        foreach (var agent in _agents.Values)
        {
            _persisted.TryGetValue(agent.Id, out var last);
            var known = services.ContainsKey(agent.Service);
            foreach (var t in agent.TakeTransitions())
            {
                if (known && t.State != InstanceStates.Exited)
                {
                    var (type, reason) = t.State switch
                    {
                        InstanceStates.Ready => ("Normal", "InstanceReady"),
                        InstanceStates.Failed => ("Warning", t.Reason),
                        InstanceStates.Pending => ("Warning", "InstanceWaiting"),
                        InstanceStates.Draining => ("Normal", "InstanceDraining"),
                        InstanceStates.Starting when t.Reason is "StartupProbeFailed" or "NotReady" => ("Warning", t.Reason),
                        InstanceStates.Starting => ("Normal", "InstanceStarting"),
                        _ => ("Normal", "Instance" + t.State),
                    };
                    _store.AddEvent(agent.Service, t.Time, type, reason, $"instance {agent.Id}: {t.Message}", agent.Id);
                }
            }

            if (agent.Done)
            {
                if (known)
                {
                    _store.AddEvent(agent.Service, now, "Normal", "InstanceStopped", $"instance {agent.Id}: {agent.Message}", agent.Id);
                }

                _store.DeleteInstance(agent.Id);
                _agents.TryRemove(agent.Id, out _);
                _persisted.Remove(agent.Id);
                _routes.Forget(agent.Id);
                TryDeleteDirectory(agent.Directory);
                continue;
            }

            if (last.Generation == agent.Generation && last.State is not null)
            {
                continue;
            }

            _store.UpsertInstance(new InstanceRecord
            {
                Id = agent.Id,
                Service = agent.Service,
                Version = agent.Version,
                State = agent.State,
                Pid = agent.Pid,
                Port = agent.Port,
                RestartCount = agent.RestartCount,
                Reason = agent.Reason,
                Message = agent.Message,
                LastExitCode = agent.LastExit?.ExitCode,
                LastReason = agent.LastExit?.Reason ?? "",
                LastFinishedAt = agent.LastFinishedAt,
                CreateTime = agent.CreateTime,
                StartTime = agent.StartTime,
                Cpu = agent.Cpu,
                MemoryMb = agent.MemoryMb,
                Gpu = agent.Gpu,
                ResourceGroup = agent.Group,
                Overflow = agent.Overflow,
                PreemptAt = agent.PreemptAt,
            });

            _persisted[agent.Id] = (agent.Generation, agent.State);
        }
    }

    private void RotateLogs()
    {
        foreach (var agent in _agents.Values)
        {
            try
            {
                LogRotation.RotateIfNeeded(_runtime.LogPath(agent.Directory), _options.LogRotateBytes, _options.LogFilesKept);
            }
            catch (IOException)
            {
                // The instance may be going away; the next pass tries again.
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private static RoutePolicy PolicyOf(ServiceSpec? spec, AutoscalerSpec? autoscaler) => spec is null
        ? RoutePolicy.Default
        : new RoutePolicy(TimeSpan.FromMilliseconds(spec.Metadata.Rpc.KeepaliveMs), spec.Metadata.Rpc.MaxConcurrency,
            spec.Metadata.Rpc.MaxQueueSize, spec.Metadata.Rpc.RateLimit, spec.Metadata.Rpc.MaxBodySize, spec.Metadata.EnableWebservice,
            autoscaler is { Min: 0 }, spec.IsAsync ? spec.Queue : null);

    private InstanceAgent NewAgent(string id, string service, int version, ServiceSpec spec, DateTimeOffset createTime) =>
        new(id, service, version, spec, Path.Combine(_options.InstancesDir, service, id), spec.Metadata.Cpu, spec.Metadata.Memory,
            createTime, _runtime, _ports, _probes, _time, _ => Trigger(), _routes.InFlight);

    /// <summary>The parsed spec of a stored version (cached; versions are immutable).</summary>
    internal ServiceSpec? SpecFor(string service, int version)
    {
        if (_specs.TryGetValue((service, version), out var cached))
        {
            return cached;
        }

        var record = _store.GetVersion(service, version);
        if (record is null)
        {
            return null;
        }

        var parsed = ServiceSpecParser.Parse(record.SpecJson);
        if (!parsed.IsValid)
        {
            ReconcilerLog.BadVersion(_logger, service, version, string.Join("; ", parsed.Errors));
            return null;
        }

        _specs[(service, version)] = parsed.Spec!;
        return parsed.Spec;
    }

    /// <summary>Forgets cached specs of a deleted service (a new one may reuse the name).</summary>
    internal void ForgetSpecs(string service)
    {
        foreach (var key in _specs.Keys.Where(k => k.Item1 == service).ToList())
        {
            _specs.TryRemove(key, out _);
        }
    }

    private static string NewInstanceId(string service, int version)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return $"{service}-{version}-{suffix}";
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
