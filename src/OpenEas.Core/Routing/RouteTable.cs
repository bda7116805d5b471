using System.Collections.Frozen;

namespace OpenEas.Core.Routing;

/// <summary>One Ready instance as the gateway sees it; counts the requests it is serving right now.</summary>
public sealed class ServiceEndpoint
{
    private int _inFlight;

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

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}

/// <summary>What the gateway needs to serve one service: immutable, replaced whole on every change.</summary>
public sealed class ServiceRoute
{
    public ServiceRoute(string name, string token, TimeSpan timeout, IReadOnlyList<ServiceEndpoint> endpoints,
        string? previousToken = null, DateTimeOffset? previousTokenExpires = null, bool anonymous = false)
    {
        Name = name;
        Token = token;
        TokenBytes = System.Text.Encoding.UTF8.GetBytes(token);
        Timeout = timeout;
        Endpoints = [.. endpoints];
        if (!string.IsNullOrEmpty(previousToken) && previousTokenExpires is { } expires)
        {
            PreviousTokenBytes = System.Text.Encoding.UTF8.GetBytes(previousToken);
            PreviousTokenExpires = expires;
        }

        Anonymous = anonymous;
    }

    public string Name { get; }
    public string Token { get; }
    public byte[] TokenBytes { get; }
    public TimeSpan Timeout { get; }
    public ServiceEndpoint[] Endpoints { get; }

    /// <summary>The token a rotation replaced, accepted until <see cref="PreviousTokenExpires"/>; null when none.</summary>
    public byte[]? PreviousTokenBytes { get; }

    /// <summary>When the previous token stops being accepted (judged with the server's clock).</summary>
    public DateTimeOffset PreviousTokenExpires { get; }

    /// <summary>The spec opted out of auth (<c>metadata.anonymous</c>): any call is let through.</summary>
    public bool Anonymous { get; }
}

/// <summary>
/// The gateway's view of every service: an immutable snapshot swapped atomically, so the request
/// path never locks or touches the store. The reconciler is its only writer.
/// </summary>
public sealed class RouteTable
{
    private readonly Lock _writeLock = new();
    private FrozenDictionary<string, ServiceRoute> _routes = FrozenDictionary<string, ServiceRoute>.Empty;
    private readonly Dictionary<string, ServiceEndpoint> _endpoints = [];

    /// <summary>The current snapshot; read without locks.</summary>
    public FrozenDictionary<string, ServiceRoute> Snapshot => Volatile.Read(ref _routes);

    public ServiceRoute? Find(string service) => Snapshot.GetValueOrDefault(service);

    /// <summary>Replaces a service's route. Endpoint objects are reused by instance id so in-flight counts carry over.</summary>
    /// <param name="previousToken">A rotated-out token still accepted until <paramref name="previousTokenExpires"/>.</param>
    /// <param name="anonymous">Accept calls without (or with any) token.</param>
    public void Publish(string service, string token, TimeSpan timeout, IEnumerable<(string InstanceId, string Address)> ready,
        string? previousToken = null, DateTimeOffset? previousTokenExpires = null, bool anonymous = false)
    {
        lock (_writeLock)
        {
            var list = new List<ServiceEndpoint>();
            foreach (var (id, address) in ready)
            {
                list.Add(Endpoint(id, address));
            }

            var next = new Dictionary<string, ServiceRoute>(_routes) { [service] = new ServiceRoute(service, token, timeout, list, previousToken, previousTokenExpires, anonymous) };
            Volatile.Write(ref _routes, next.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }

    public void Remove(string service)
    {
        lock (_writeLock)
        {
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
}
