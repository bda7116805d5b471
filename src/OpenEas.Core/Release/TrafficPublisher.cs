using System.Text.Json;
using OpenEas.Contracts;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Routing;
using OpenEas.Core.Store;

namespace OpenEas.Core.Release;

/// <summary>
/// Keeps the gateway's splits and mirrors in step with the store: group membership follows each service's
/// <c>metadata.group</c> (a first member takes weight 100, later ones 0 until given a weight), a running canary
/// splits its service's own name, and mirroring rules are published as they are set. Runs after every reconcile
/// pass and at once after each change through the API, so an answered change is in force.
/// </summary>
public sealed class TrafficPublisher
{
    private readonly EasStore _store;
    private readonly Reconciler _reconciler;
    private readonly RouteTable _routes;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    public TrafficPublisher(EasStore store, Reconciler reconciler, RouteTable routes, TimeProvider time)
    {
        _store = store;
        _reconciler = reconciler;
        _routes = routes;
        _time = time;
        reconciler.PassCompleted += Sync;
    }

    /// <summary>Brings membership up to date and publishes every split and mirror.</summary>
    public void Sync()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var services = _store.ListServices().Where(s => s.Status != ServiceStates.Deleting).ToDictionary(s => s.Name, StringComparer.Ordinal);
            var wanted = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var s in services.Values)
            {
                if (_reconciler.SpecFor(s.Name, s.CurrentVersion)?.Metadata.Group is { Length: > 0 } group)
                {
                    wanted[s.Name] = group;
                }
            }

            var members = _store.ListGroupMembers();
            var changed = false;
            foreach (var m in members)
            {
                if (!wanted.TryGetValue(m.Service, out var group) || group != m.Group)
                {
                    _store.RemoveGroupMember(m.Group, m.Service);
                    if (services.ContainsKey(m.Service))
                    {
                        _store.AddEvent(m.Service, now, "Normal", "LeftGroup", $"left service group {m.Group}");
                    }

                    changed = true;
                }
            }

            foreach (var (service, group) in wanted)
            {
                if (members.Any(m => m.Service == service && m.Group == group))
                {
                    continue;
                }

                // EAS: a new member gets no group traffic until given a weight; a group's first member takes it all.
                var first = !members.Any(m => m.Group == group && wanted.GetValueOrDefault(m.Service) == group);
                var weight = first ? 100 : 0;
                if (_store.AddGroupMember(new GroupMemberRecord(group, service, weight, now)))
                {
                    _store.AddEvent(service, now, "Normal", "JoinedGroup", first
                        ? $"joined service group {group} as its first member (weight 100)"
                        : $"joined service group {group} with weight 0: it gets group traffic once given a weight (eas group weight {group} {service}=N)");
                    members.Add(new GroupMemberRecord(group, service, weight, now));
                }

                changed = true;
            }

            if (changed)
            {
                members = _store.ListGroupMembers();
            }

            var settings = _store.ListGroupSettings().ToDictionary(g => g.Name, StringComparer.Ordinal);
            var splits = new List<TrafficSplit>();
            foreach (var group in members.GroupBy(m => m.Group, StringComparer.Ordinal))
            {
                var sticky = settings.GetValueOrDefault(group.Key) is { } g && (g.StickyHeader ?? g.StickyCookie) is not null
                    ? new StickyKey(g.StickyHeader, g.StickyCookie) : null;
                splits.Add(new TrafficSplit(group.Key, [.. group.Select(m => new SplitMember(m.Service, m.Weight))],
                    [.. group.Select(m => m.Service)], sticky));
            }

            foreach (var stale in settings.Keys.Where(name => !members.Any(m => m.Group == name)))
            {
                _store.DeleteGroupSettings(stale);
            }

            foreach (var (service, json) in _store.ListReleases())
            {
                if (JsonSerializer.Deserialize(json, EasJsonContext.Default.ReleaseInfo) is { } release && ReleaseStates.IsActive(release.State)
                    && services.ContainsKey(service))
                {
                    // The canary first: raising its weight only moves sticky users onto it.
                    splits.Add(new TrafficSplit(service, [new SplitMember(release.Canary, release.Weight), new SplitMember(service, 100 - release.Weight)],
                        [service], null));
                }
            }

            _routes.PublishSplits(splits);
            _routes.PublishMirrors(_store.ListMirrors().Where(m => services.ContainsKey(m.Service) && m.Ratio > 0)
                .Select(m => new MirrorRule(m.Service, m.Targets, m.Ratio)));
        }
    }
}
