using System.Collections.Frozen;
using System.Threading.RateLimiting;

namespace OpenEas.Core.Routing;

/// <summary>How the gateway treats calls to one service; from the spec's <c>metadata.rpc</c>.</summary>
/// <param name="Timeout">The longest a call may take (<c>rpc.keepalive</c>); past it: 408.</param>
/// <param name="MaxConcurrency">Calls one instance serves at once; 0 = unlimited.</param>
/// <param name="MaxQueuePerInstance">Calls that may wait per Ready instance when all are busy; beyond: 450.</param>
/// <param name="RateLimit">Calls per second for the whole service; 0 = off; beyond: 429.</param>
/// <param name="MaxBodySize">Largest request body in bytes; beyond: 413.</param>
/// <param name="EnableWebservice">Also served as a web app at <c>/web/{service}/</c>.</param>
/// <param name="ScalesFromZero">The autoscaler may take it to zero: a call that finds no instance is held while one starts.</param>
/// <param name="Queue">For an async service: its queue settings; calls go to its queues, not to an instance.</param>
public sealed record RoutePolicy(TimeSpan Timeout, int MaxConcurrency, int MaxQueuePerInstance, int RateLimit, long MaxBodySize,
    bool EnableWebservice, bool ScalesFromZero = false, Specs.QueueSpec? Queue = null)
{
    public static readonly RoutePolicy Default = new(TimeSpan.FromMinutes(10), 0, 64, 0, 64L * 1024 * 1024, false);

    /// <summary>Calls held per service while it starts from zero; more get 503.</summary>
    public const int MaxHeldFromZero = 1000;
}

/// <summary>Wakes a service that is at zero instances because a call arrived (the autoscaler implements it).</summary>
public interface IZeroActivator
{
    void Activate(string service);

    /// <summary>The first instance became Ready for a held call, after <paramref name="coldStart"/>.</summary>
    void Activated(string service, TimeSpan coldStart);
}

/// <summary>One Ready instance as the gateway sees it: requests in flight and passive health.</summary>
public sealed class ServiceEndpoint
{
    /// <summary>Consecutive transport failures after which an instance is taken out of balancing for a while.</summary>
    public const int FailuresToEject = 3;

    private int _inFlight;
    private int _failures;
    private long _ejectedUntil;

    public ServiceEndpoint(string instanceId, string address)
    {
        InstanceId = instanceId;
        Address = address;
    }

    public string InstanceId { get; }

    /// <summary>Base URI, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Address { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    /// <summary>Takes a slot only while fewer than <paramref name="limit"/> calls are in flight.</summary>
    public bool TryEnter(int limit)
    {
        if (Interlocked.Increment(ref _inFlight) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>True while passive health keeps the instance out of balancing (timestamps from a <see cref="TimeProvider"/>).</summary>
    public bool IsEjected(long now) => now < Volatile.Read(ref _ejectedUntil);

    public void ReportSuccess()
    {
        if (Volatile.Read(ref _failures) != 0)
        {
            Volatile.Write(ref _failures, 0);
        }
    }

    /// <returns>true when this failure ejected the instance (until <paramref name="until"/>).</returns>
    public bool ReportFailure(long until)
    {
        if (Interlocked.Increment(ref _failures) < FailuresToEject)
        {
            return false;
        }

        Volatile.Write(ref _failures, 0);
        Volatile.Write(ref _ejectedUntil, until);
        return true;
    }
}

/// <summary>Per-service state that outlives route snapshots: the wait queue for busy instances and the rate limiter.</summary>
public sealed class ServiceGate : IDisposable
{
    private readonly SemaphoreSlim _freed = new(0, int.MaxValue);
    private int _waiting;

    internal ServiceGate(int rateLimit)
    {
        RateLimit = rateLimit;
        Limiter = rateLimit <= 0 ? null : new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = rateLimit,
            TokensPerPeriod = rateLimit,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    internal int RateLimit { get; }

    /// <summary>The service's rate limiter, or null when it has none.</summary>
    public RateLimiter? Limiter { get; }

    /// <summary>Calls waiting for a free instance now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Joins the wait queue if fewer than <paramref name="capacity"/> calls wait.</summary>
    public bool TryQueue(int capacity)
    {
        if (Interlocked.Increment(ref _waiting) <= capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _waiting);
        return false;
    }

    public void Dequeue() => Interlocked.Decrement(ref _waiting);

    /// <summary>Waits until an instance slot may have been freed (or the wait times out).</summary>
    public Task<bool> WaitFreedAsync(TimeSpan timeout, CancellationToken ct) => _freed.WaitAsync(timeout, ct);

    /// <summary>Wakes one waiting call, if any, after a slot was freed.</summary>
    public void Freed()
    {
        if (Volatile.Read(ref _waiting) > 0)
        {
            _freed.Release();
        }
    }

    public void Dispose()
    {
        Limiter?.Dispose();
        _freed.Dispose();
    }
}

/// <summary>Who may call a service: its token, the one a rotation replaced (until it expires), or anyone.</summary>
/// <param name="PreviousToken">A rotated-out token still accepted until <paramref name="PreviousTokenExpires"/>.</param>
/// <param name="Anonymous">The spec opted out of auth (<c>metadata.anonymous</c>).</param>
public sealed record RouteAuth(string Token, string? PreviousToken = null, DateTimeOffset? PreviousTokenExpires = null, bool Anonymous = false);

/// <summary>What the gateway needs to serve one service: immutable, replaced whole on every change.</summary>
public sealed class ServiceRoute
{
    public ServiceRoute(string name, RouteAuth auth, RoutePolicy policy, IReadOnlyList<ServiceEndpoint> endpoints, ServiceGate gate)
    {
        Name = name;
        Auth = auth;
        Token = auth.Token;
        TokenBytes = System.Text.Encoding.UTF8.GetBytes(auth.Token);
        if (!string.IsNullOrEmpty(auth.PreviousToken) && auth.PreviousTokenExpires is { } expires)
        {
            PreviousTokenBytes = System.Text.Encoding.UTF8.GetBytes(auth.PreviousToken);
            PreviousTokenExpires = expires;
        }

        Anonymous = auth.Anonymous;
        Policy = policy;
        Endpoints = [.. endpoints];
        Gate = gate;
    }

    public string Name { get; }
    public RouteAuth Auth { get; }
    public string Token { get; }
    public byte[] TokenBytes { get; }

    /// <summary>The token a rotation replaced, accepted until <see cref="PreviousTokenExpires"/>; null when none.</summary>
    public byte[]? PreviousTokenBytes { get; }

    /// <summary>When the previous token stops being accepted (judged with the server's clock).</summary>
    public DateTimeOffset PreviousTokenExpires { get; }

    /// <summary>The spec opted out of auth (<c>metadata.anonymous</c>): any call is let through.</summary>
    public bool Anonymous { get; }

    public RoutePolicy Policy { get; }
    public TimeSpan Timeout => Policy.Timeout;
    public ServiceEndpoint[] Endpoints { get; }
    public ServiceGate Gate { get; }

    /// <summary>While there is no Ready instance: why (the service's state and reason), for the caller's 503; else empty.</summary>
    public string Unavailable { get; init; } = "";
}

/// <summary>
/// The gateway's view of every service: an immutable snapshot swapped atomically, so the request
/// path never locks or touches the store. The reconciler is its only writer.
/// </summary>
public sealed class RouteTable : IDisposable
{
    private readonly Lock _writeLock = new();
    private readonly Dictionary<string, ServiceEndpoint> _endpoints = [];
    private readonly Dictionary<string, ServiceGate> _gates = [];
    private FrozenDictionary<string, ServiceRoute> _routes = FrozenDictionary<string, ServiceRoute>.Empty;
    private FrozenDictionary<string, TrafficSplit> _splits = FrozenDictionary<string, TrafficSplit>.Empty;
    private FrozenDictionary<string, MirrorRule> _mirrors = FrozenDictionary<string, MirrorRule>.Empty;

    /// <summary>The current snapshot; read without locks.</summary>
    public FrozenDictionary<string, ServiceRoute> Snapshot => Volatile.Read(ref _routes);

    public ServiceRoute? Find(string service) => Snapshot.GetValueOrDefault(service);

    /// <summary>The split behind a name (a service group, or a service while a canary takes part of its traffic), or null.</summary>
    public TrafficSplit? FindSplit(string name)
    {
        var splits = Volatile.Read(ref _splits);
        return splits.Count == 0 ? null : splits.GetValueOrDefault(name);
    }

    /// <summary>The mirroring of a service's calls, or null (the usual case: one empty-dictionary check).</summary>
    public MirrorRule? FindMirror(string service)
    {
        var mirrors = Volatile.Read(ref _mirrors);
        return mirrors.Count == 0 ? null : mirrors.GetValueOrDefault(service);
    }

    /// <summary>Every split in force now.</summary>
    public IReadOnlyCollection<TrafficSplit> Splits => Volatile.Read(ref _splits).Values;

    /// <summary>
    /// Replaces every split at once. A split that routes as before keeps its object, so its round-robin window carries on
    /// and the exact split holds across publications.
    /// </summary>
    public void PublishSplits(IEnumerable<TrafficSplit> splits) => Replace(ref _splits, splits, s => s.Name, (a, b) => a.SameAs(b));

    /// <summary>Replaces every mirroring rule at once (unchanged rules keep their objects and sampling position).</summary>
    public void PublishMirrors(IEnumerable<MirrorRule> mirrors) => Replace(ref _mirrors, mirrors, m => m.Source, (a, b) => a.SameAs(b));

    private void Replace<T>(ref FrozenDictionary<string, T> current, IEnumerable<T> items, Func<T, string> key, Func<T, T, bool> same)
        where T : class
    {
        lock (_writeLock)
        {
            var next = new Dictionary<string, T>(StringComparer.Ordinal);
            var changed = false;
            foreach (var item in items)
            {
                var old = current.GetValueOrDefault(key(item));
                var kept = old is not null && same(old, item) ? old : item;
                changed |= !ReferenceEquals(kept, old);
                next[key(item)] = kept;
            }

            if (changed || next.Count != current.Count)
            {
                Volatile.Write(ref current, next.ToFrozenDictionary(StringComparer.Ordinal));
            }
        }
    }

    /// <summary>Replaces a service's route. Endpoint objects are reused by instance id so in-flight counts carry over.</summary>
    public void Publish(string service, string token, RoutePolicy policy, IEnumerable<(string InstanceId, string Address)> ready) =>
        Publish(service, new RouteAuth(token), policy, ready);

    /// <summary>
    /// Replaces a service's route, with its full auth (rotation grace, anonymous) and, for a caller who finds no Ready
    /// instance, why there is none (<paramref name="unavailable"/>, e.g. "Waiting: … waiting for resources").
    /// </summary>
    public void Publish(string service, RouteAuth auth, RoutePolicy policy, IEnumerable<(string InstanceId, string Address)> ready,
        string unavailable = "")
    {
        lock (_writeLock)
        {
            var list = new List<ServiceEndpoint>();
            foreach (var (id, address) in ready)
            {
                list.Add(Endpoint(id, address));
            }

            if (!_gates.TryGetValue(service, out var gate) || gate.RateLimit != policy.RateLimit)
            {
                // Calls still holding the old gate see a disposed limiter and pass (see the gateway).
                gate?.Limiter?.Dispose();
                gate = new ServiceGate(policy.RateLimit);
                _gates[service] = gate;
            }

            var current = _routes.GetValueOrDefault(service);
            if (current is not null && current.Auth == auth && current.Policy == policy && current.Gate == gate
                && current.Endpoints.AsSpan().SequenceEqual(list.ToArray()) && current.Unavailable == unavailable)
            {
                return;
            }

            var next = new Dictionary<string, ServiceRoute>(_routes)
            {
                [service] = new ServiceRoute(service, auth, policy, list, gate) { Unavailable = unavailable },
            };
            Volatile.Write(ref _routes, next.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }

    public void Remove(string service)
    {
        lock (_writeLock)
        {
            if (_gates.Remove(service, out var gate))
            {
                gate.Limiter?.Dispose();
            }

            if (!_routes.ContainsKey(service))
            {
                return;
            }

            var next = new Dictionary<string, ServiceRoute>(_routes);
            next.Remove(service);
            Volatile.Write(ref _routes, next.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }

    /// <summary>The shared endpoint object of an instance (created on first use), for in-flight counting and draining.</summary>
    public ServiceEndpoint Endpoint(string instanceId, string address)
    {
        lock (_writeLock)
        {
            if (!_endpoints.TryGetValue(instanceId, out var endpoint) || endpoint.Address != address)
            {
                endpoint = new ServiceEndpoint(instanceId, address);
                _endpoints[instanceId] = endpoint;
            }

            return endpoint;
        }
    }

    /// <summary>Requests an instance is serving now (0 when unknown).</summary>
    public int InFlight(string instanceId)
    {
        lock (_writeLock)
        {
            return _endpoints.TryGetValue(instanceId, out var e) ? e.InFlight : 0;
        }
    }

    public void Forget(string instanceId)
    {
        lock (_writeLock)
        {
            _endpoints.Remove(instanceId);
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            foreach (var gate in _gates.Values)
            {
                gate.Dispose();
            }

            _gates.Clear();
        }
    }
}
