using OpenEas.Contracts;
using OpenEas.Core.Runtime;
using OpenEas.Core.Specs;

namespace OpenEas.Core.Reconcile;

/// <summary>
/// Keeps one instance alive: starts it, gates it on its startup/readiness checks, watches liveness,
/// restarts it with exponential backoff when it exits, and drains then stops it when told to.
/// State changes are reported to the reconciler, which persists and publishes them.
/// </summary>
internal sealed class InstanceAgent
{
    internal static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(60);

    private readonly IInstanceRuntime _runtime;
    private readonly PortAllocator _ports;
    private readonly ProbeRunner _probes;
    private readonly TimeProvider _time;
    private readonly Action<InstanceAgent> _changed;
    private readonly Func<string, int> _inFlight;
    private readonly Lock _lock = new();

    // Transitions not yet turned into events (bounded: an instance crash-looping while no pass runs keeps the latest).
    private const int MaxTransitions = 32;
    private readonly Queue<InstanceTransition> _transitions = new();
    private readonly TaskCompletionSource _drainRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IInstanceHandle? _handle;
    private bool _leaving;
    private TimeSpan _drainGrace;
    private Task? _run;

    public InstanceAgent(string id, string service, int version, ServiceSpec spec, string directory, double cpu, long memoryMb,
        DateTimeOffset createTime, IInstanceRuntime runtime, PortAllocator ports, ProbeRunner probes, TimeProvider time,
        Action<InstanceAgent> changed, Func<string, int> inFlight)
    {
        Id = id;
        Service = service;
        Version = version;
        Spec = spec;
        Directory = directory;
        Cpu = cpu;
        MemoryMb = memoryMb;
        CreateTime = createTime;
        _runtime = runtime;
        _ports = ports;
        _probes = probes;
        _time = time;
        _changed = changed;
        _inFlight = inFlight;
        State = InstanceStates.Pending;
    }

    public string Id { get; }
    public string Service { get; }
    public int Version { get; }
    public ServiceSpec Spec { get; }
    public string Directory { get; }
    public double Cpu { get; }
    public long MemoryMb { get; }
    public DateTimeOffset CreateTime { get; }

    /// <summary>GPUs the instance needs.</summary>
    public int Gpu => Spec.Metadata.Gpu;

    /// <summary>The resource group it is placed in; empty until placed.</summary>
    public string Group { get; private set; } = "";

    /// <summary>Placed outside the service's own group (elastic pool or fallback): first to go on scale-in.</summary>
    public bool Overflow { get; private set; }

    /// <summary>Placed on spot capacity.</summary>
    public bool Spot { get; private set; }

    /// <summary>When a preemption notice ends its life (null when none).</summary>
    public DateTimeOffset? PreemptAt { get; private set; }

    /// <summary>How long before <see cref="PreemptAt"/> it drains at the latest, replacements ready or not.</summary>
    public TimeSpan PreemptLead { get; private set; }

    public string State { get; private set; }
    public bool Ready { get; private set; }
    public int Port { get; private set; }
    public int? Pid { get; private set; }
    public int RestartCount { get; private set; }
    public string Reason { get; private set; } = "";
    public string Message { get; private set; } = "";
    public ExitInfo? LastExit { get; private set; }
    public DateTimeOffset? LastFinishedAt { get; private set; }
    public DateTimeOffset? StartTime { get; private set; }

    /// <summary>Bumped on every change, so the reconciler writes only what changed.</summary>
    public int Generation { get; private set; }

    /// <summary>True once the instance has stopped for good (after a drain); the reconciler then forgets it.</summary>
    public bool Done { get; private set; }

    /// <summary>True when the agent has been told to drain (or is waiting for resources and has not started).</summary>
    public bool Leaving => Volatile.Read(ref _leaving);

    public bool Started => _run is not null;

    /// <summary>Marks a not-yet-started instance as waiting for resources.</summary>
    public void Wait(string why)
    {
        if (Message != why || Reason != "Unschedulable")
        {
            Set(InstanceStates.Pending, ready: false, "Unschedulable", why);
        }
    }

    /// <summary>Records where the instance runs; called before <see cref="Launch"/>.</summary>
    public void Place(string group, bool overflow, bool spot)
    {
        Group = group;
        Overflow = overflow;
        Spot = spot;
    }

    /// <summary>A preemption notice: the instance dies at <paramref name="at"/>; replacements start now.</summary>
    public void Preempt(DateTimeOffset at, TimeSpan lead)
    {
        lock (_lock)
        {
            if (PreemptAt is { } earlier && earlier <= at)
            {
                return;
            }

            PreemptAt = at;
            PreemptLead = lead;
            Generation++;
        }

        _changed(this);
    }

    /// <summary>Starts the instance's life (or adopts a process a previous server left running).</summary>
    public void Launch(IInstanceHandle? adopted = null, int adoptedPort = 0)
    {
        if (_run is not null)
        {
            return;
        }

        // Starting from this moment on (not when the task gets scheduled), so no pass reads it as waiting.
        Set(InstanceStates.Starting, ready: false, "Starting", adopted is null ? "starting" : "adopting a running process");
        _run = Task.Run(() => RunAsync(adopted, adoptedPort));
    }

    /// <summary>Leave the endpoint set, finish in-flight requests (up to the grace period), then stop.</summary>
    public void Drain(TimeSpan grace, string why)
    {
        lock (_lock)
        {
            if (_leaving)
            {
                return;
            }

            _drainGrace = grace;
            Volatile.Write(ref _leaving, true);
        }

        if (_run is null)
        {
            Set(InstanceStates.Exited, ready: false, "Removed", why);
            Done = true;
            _changed(this);
            return;
        }

        Set(InstanceStates.Draining, ready: false, "Draining", why);
        _drainRequested.TrySetResult();
    }

    /// <summary>Kills the instance without draining (server shutdown with stop, or a forced delete).</summary>
    public void KillNow() => _handle?.Kill();

    public Task Completion => _run ?? Task.CompletedTask;

    /// <summary>
    /// The state changes since the last call, oldest first: each one becomes an event, even one the instance left before a
    /// reconcile pass saw it (a liveness failure restarts the process at once).
    /// </summary>
    public List<InstanceTransition> TakeTransitions()
    {
        lock (_lock)
        {
            var taken = new List<InstanceTransition>(_transitions);
            _transitions.Clear();
            return taken;
        }
    }

    private void Set(string state, bool ready, string reason, string message)
    {
        lock (_lock)
        {
            // Once draining, only the final Exited may follow.
            if (_leaving && state != InstanceStates.Draining && state != InstanceStates.Exited)
            {
                return;
            }

            // A new state or reason is a transition (a new message alone, such as each failed readiness check, is not).
            if (state != State || reason != Reason)
            {
                if (_transitions.Count == MaxTransitions)
                {
                    _transitions.Dequeue();
                }

                _transitions.Enqueue(new InstanceTransition(_time.GetUtcNow(), state, reason, message));
            }

            State = state;
            Ready = ready;
            Reason = reason;
            Message = message;
            Generation++;
        }

        _changed(this);
    }

    private async Task RunAsync(IInstanceHandle? adopted, int adoptedPort)
    {
        var backoff = InitialBackoff;
        while (!Leaving)
        {
            IInstanceHandle handle;
            if (adopted is not null)
            {
                handle = adopted;
                Port = adoptedPort;
                adopted = null;
                StartTime ??= _time.GetUtcNow();
            }
            else
            {
                Port = _ports.Next();
                try
                {
                    handle = _runtime.Start(new InstanceLaunch
                    {
                        InstanceId = Id,
                        Service = Service,
                        Version = Version,
                        Spec = Spec,
                        Directory = Directory,
                        Port = Port,
                    });
                }
                catch (Exception ex)
                {
                    // Whatever goes wrong starting it is the instance's failure, shown as its reason; the loop goes on.
                    await CrashAsync(new ExitInfo(null, "StartError", ex.Message), backoff).ConfigureAwait(false);
                    backoff = Next(backoff);
                    continue;
                }

                StartTime = _time.GetUtcNow();
            }

            _handle = handle;
            Pid = handle.Pid;
            Set(InstanceStates.Starting, ready: false, "Starting", $"started (pid {handle.Pid}), waiting for readiness");

            var exit = await SuperviseAsync(handle).ConfigureAwait(false);
            _handle = null;
            Pid = null;
            if (Leaving)
            {
                LastExit = exit;
                LastFinishedAt = _time.GetUtcNow();
                break;
            }

            var ranFor = _time.GetUtcNow() - (StartTime ?? _time.GetUtcNow());
            if (ranFor >= StableRun)
            {
                backoff = InitialBackoff;
            }

            await CrashAsync(exit, backoff).ConfigureAwait(false);
            backoff = Next(backoff);
        }

        Set(InstanceStates.Exited, ready: false, "Stopped", LastExit is { } e ? $"stopped ({e.Message})" : "stopped");
        Done = true;
        _changed(this);
    }

    private static TimeSpan Next(TimeSpan backoff) => backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;

    private async Task CrashAsync(ExitInfo exit, TimeSpan backoff)
    {
        LastExit = exit;
        LastFinishedAt = _time.GetUtcNow();
        RestartCount++;
        var reason = RestartCount >= 2 ? "CrashLoopBackOff" : exit.Reason;
        Set(InstanceStates.Failed, ready: false, reason,
            $"{exit.Message}; restarting in {backoff.TotalSeconds:0.#}s (restart {RestartCount}); see 'eas logs {Service} --instance {Id}'");
        await Task.WhenAny(Task.Delay(backoff, _time), _drainRequested.Task).ConfigureAwait(false);
    }

    /// <summary>Runs the checks until the instance exits or a drain finishes; returns how it ended.</summary>
    private async Task<ExitInfo> SuperviseAsync(IInstanceHandle handle)
    {
        var main = Spec.Main;
        var readiness = OnInstancePort(main?.ReadinessCheck) ?? ProbeRunner.DefaultReadiness;
        var startup = OnInstancePort(main?.StartupCheck);
        var liveness = OnInstancePort(main?.LivenessCheck);
        using var checks = new CancellationTokenSource();
        var probing = ProbeLoopAsync(handle, startup, readiness, liveness, checks.Token);
        var drain = _drainRequested.Task;

        var first = await Task.WhenAny(handle.Exited, drain).ConfigureAwait(false);
        if (first == drain && !handle.Exited.IsCompleted)
        {
            await checks.CancelAsync().ConfigureAwait(false);
            await StopGracefullyAsync(handle).ConfigureAwait(false);
        }

        var exit = await handle.Exited.ConfigureAwait(false);
        await checks.CancelAsync().ConfigureAwait(false);
        try
        {
            await probing.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return exit;
    }

    /// <summary>A probe written against the spec's port checks the port this instance really listens on ($PORT).</summary>
    private ProbeSpec? OnInstancePort(ProbeSpec? probe) =>
        probe is not null && probe.Port != 0 && probe.Port == Spec.Main?.Port ? probe with { Port = 0 } : probe;

    private async Task StopGracefullyAsync(IInstanceHandle handle)
    {
        // 1. Out of the endpoint set already (state Draining). Let requests that picked the old
        //    snapshot arrive, then wait for in-flight requests to finish, up to the grace period.
        var deadline = _time.GetUtcNow() + _drainGrace;
        await Task.Delay(TimeSpan.FromMilliseconds(100), _time).ConfigureAwait(false);
        while (_inFlight(Id) > 0 && _time.GetUtcNow() < deadline && !handle.Exited.IsCompleted)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time).ConfigureAwait(false);
        }

        // 2. SIGTERM to the process group; 3. SIGKILL when the grace period is over.
        handle.Terminate();
        var termination = TimeSpan.FromSeconds(Math.Max(0, Spec.Metadata.TerminationGracePeriodSeconds));
        var killAt = _time.GetUtcNow() + termination;
        while (!handle.Exited.IsCompleted && _time.GetUtcNow() < killAt)
        {
            await Task.WhenAny(handle.Exited, Task.Delay(TimeSpan.FromMilliseconds(100), _time)).ConfigureAwait(false);
        }

        if (!handle.Exited.IsCompleted)
        {
            handle.Kill();
        }
    }

    private async Task ProbeLoopAsync(IInstanceHandle handle, ProbeSpec? startup, ProbeSpec readiness, ProbeSpec? liveness, CancellationToken ct)
    {
        var started = _time.GetUtcNow();

        // Startup: poll fast until the program answers (a cold start is only as slow as the program).
        var gate = startup ?? readiness;
        if (gate.InitialDelaySeconds > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(gate.InitialDelaySeconds), _time, ct).ConfigureAwait(false);
        }

        var fastPeriod = TimeSpan.FromMilliseconds(gate.Kind == ProbeKind.Tcp ? 5 : 50);
        TimeSpan? startupDeadline = startup is null ? null
            : TimeSpan.FromSeconds(startup.InitialDelaySeconds + (startup.PeriodSeconds * startup.FailureThreshold));
        var successes = 0;
        while (!ct.IsCancellationRequested)
        {
            var failure = await _probes.CheckAsync(gate, Port, Directory, ct).ConfigureAwait(false);
            if (failure is null && ++successes >= Math.Max(1, gate.SuccessThreshold))
            {
                break;
            }

            if (failure is not null)
            {
                successes = 0;
                if (startupDeadline is { } limit && _time.GetUtcNow() - started > limit)
                {
                    Set(InstanceStates.Starting, ready: false, "StartupProbeFailed", $"startup check failed for {limit.TotalSeconds:0.#}s: {failure}; restarting");
                    handle.Kill();
                    return;
                }

                if (Message != $"waiting for readiness: {failure}" && _time.GetUtcNow() - started > TimeSpan.FromSeconds(2))
                {
                    Set(InstanceStates.Starting, ready: false, "Starting", $"waiting for readiness: {failure}");
                }
            }

            await Task.Delay(fastPeriod, _time, ct).ConfigureAwait(false);
        }

        if (startup is not null)
        {
            // With a startup check, readiness must also pass once before traffic arrives.
            while (!ct.IsCancellationRequested && await _probes.CheckAsync(readiness, Port, Directory, ct).ConfigureAwait(false) is not null)
            {
                await Task.Delay(fastPeriod, _time, ct).ConfigureAwait(false);
            }
        }

        Set(InstanceStates.Ready, ready: true, "Ready", $"ready in {(_time.GetUtcNow() - started).TotalMilliseconds:0} ms");

        // Steady state: readiness takes the instance out of balancing; liveness restarts it.
        var readinessFailures = 0;
        var readinessSuccesses = 0;
        var livenessFailures = 0;
        var nextReadiness = _time.GetUtcNow() + TimeSpan.FromSeconds(readiness.PeriodSeconds);
        var nextLiveness = liveness is null ? DateTimeOffset.MaxValue
            : _time.GetUtcNow() + TimeSpan.FromSeconds(Math.Max(liveness.InitialDelaySeconds, liveness.PeriodSeconds));
        while (!ct.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var next = nextReadiness < nextLiveness ? nextReadiness : nextLiveness;
            if (next > now)
            {
                await Task.Delay(next - now, _time, ct).ConfigureAwait(false);
                continue;
            }

            if (now >= nextReadiness)
            {
                nextReadiness = now + TimeSpan.FromSeconds(readiness.PeriodSeconds);
                var failure = await _probes.CheckAsync(readiness, Port, Directory, ct).ConfigureAwait(false);
                if (failure is null)
                {
                    readinessFailures = 0;
                    if (!Ready && ++readinessSuccesses >= Math.Max(1, readiness.SuccessThreshold))
                    {
                        Set(InstanceStates.Ready, ready: true, "Ready", "readiness check passes again");
                    }
                }
                else
                {
                    readinessSuccesses = 0;
                    if (Ready && ++readinessFailures >= Math.Max(1, readiness.FailureThreshold))
                    {
                        Set(InstanceStates.Starting, ready: false, "NotReady", $"readiness check failed {readinessFailures} times: {failure}");
                    }
                }
            }

            if (liveness is not null && now >= nextLiveness)
            {
                nextLiveness = now + TimeSpan.FromSeconds(liveness.PeriodSeconds);
                var failure = await _probes.CheckAsync(liveness, Port, Directory, ct).ConfigureAwait(false);
                livenessFailures = failure is null ? 0 : livenessFailures + 1;
                if (failure is not null && livenessFailures >= Math.Max(1, liveness.FailureThreshold))
                {
                    Set(InstanceStates.Failed, ready: false, "LivenessProbeFailed", $"liveness check failed {livenessFailures} times: {failure}; restarting");
                    handle.Kill();
                    return;
                }
            }
        }
    }
}

/// <summary>One change of an instance's state, as it happened.</summary>
public readonly record struct InstanceTransition(DateTimeOffset Time, string State, string Reason, string Message);
