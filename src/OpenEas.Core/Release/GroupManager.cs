using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Hosting;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Specs;
using OpenEas.Core.Store;

namespace OpenEas.Core.Release;

/// <summary>
/// Service groups and mirroring through the API: list and describe groups, change weights (several at once, atomically),
/// set a sticky key, set a service's mirroring. Every change is an event on the services it touches and is in force
/// when the call returns.
/// </summary>
public sealed class GroupManager
{
    private readonly EasStore _store;
    private readonly Reconciler _reconciler;
    private readonly TrafficPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly EasCoreOptions _options;
    private readonly Lock _writeLock = new();

    public GroupManager(EasStore store, Reconciler reconciler, TrafficPublisher publisher, TimeProvider time, EasCoreOptions options)
    {
        _store = store;
        _reconciler = reconciler;
        _publisher = publisher;
        _time = time;
        _options = options;
    }

    public List<GroupInfo> List()
    {
        _publisher.Sync();
        var members = _store.ListGroupMembers();
        return [.. members.Select(m => m.Group).Distinct(StringComparer.Ordinal).Select(g => Describe(g, members))];
    }

    public GroupInfo Describe(string group)
    {
        _publisher.Sync();
        return Describe(group, _store.ListGroupMembers());
    }

    private GroupInfo Describe(string group, List<GroupMemberRecord> all)
    {
        var members = all.Where(m => m.Group == group).ToList();
        if (members.Count == 0)
        {
            throw new ControlException(404, ErrorCodes.GroupNotFound,
                $"service group \"{group}\" not found (a group exists while a service names it in metadata.group)");
        }

        var total = members.Sum(m => m.Weight);
        var settings = _store.GetGroupSettings(group);
        var endpoint = _options.PublicEndpoint.TrimEnd('/') + "/api/predict/" + group;
        return new GroupInfo
        {
            GroupName = group,
            Endpoint = endpoint,
            StickyHeader = settings?.StickyHeader,
            StickyCookie = settings?.StickyCookie,
            Members = [.. members.Select(m =>
            {
                var service = _store.GetService(m.Service);
                return new GroupMemberInfo
                {
                    ServiceName = m.Service,
                    Weight = m.Weight,
                    Share = total == 0 ? 0 : Math.Round(100.0 * m.Weight / total, 2),
                    Status = service?.Status ?? "",
                    CurrentVersion = service?.CurrentVersion ?? 0,
                    RunningInstance = _reconciler.Instances(m.Service).Count(i => i.Ready),
                    Endpoint = endpoint + "." + m.Service,
                };
            })],
        };
    }

    /// <summary>Sets several members' weights together: the gateway switches from the old split to the new one in one step.</summary>
    public GroupInfo SetWeights(string group, IReadOnlyDictionary<string, int> weights)
    {
        if (weights.Count == 0)
        {
            throw new ControlException(400, ErrorCodes.BadRequest, "name at least one member and its weight: svc=90",
                [new SpecIssue("weights", "must name at least one member")]);
        }

        lock (_writeLock)
        {
            _publisher.Sync();
            var members = _store.ListGroupMembers().Where(m => m.Group == group).ToList();
            var info = Describe(group, members);
            var issues = new List<SpecIssue>();
            foreach (var (service, weight) in weights)
            {
                if (!members.Any(m => m.Service == service))
                {
                    issues.Add(new SpecIssue("weights." + service, $"is not a member of group \"{group}\" (members: {string.Join(", ", members.Select(m => m.Service))})"));
                }
                else if (weight is < 0 or > 100)
                {
                    issues.Add(new SpecIssue("weights." + service, $"must be 0-100, got {weight}"));
                }
            }

            if (issues.Count == 0 && members.All(m => weights.GetValueOrDefault(m.Service, m.Weight) == 0))
            {
                issues.Add(new SpecIssue("weights", $"at least one member of \"{group}\" must keep a weight above 0, or the group serves nothing"));
            }

            if (issues.Count > 0)
            {
                throw new ControlException(400, ErrorCodes.BadRequest, string.Join("; ", issues), issues);
            }

            var changes = members.Where(m => weights.TryGetValue(m.Service, out var w) && w != m.Weight).ToList();
            if (changes.Count == 0)
            {
                return info;
            }

            _store.SetGroupWeights(group, weights);
            var now = _time.GetUtcNow();
            var summary = string.Join(" ", members.Select(m => $"{m.Service}={weights.GetValueOrDefault(m.Service, m.Weight)}"));
            foreach (var m in changes)
            {
                _store.AddEvent(m.Service, now, "Normal", "WeightChanged", $"weight in group {group}: {m.Weight} → {weights[m.Service]} ({summary})");
            }

            _publisher.Sync();
        }

        return Describe(group);
    }

    /// <summary>EAS's release call: one service's weight in its group.</summary>
    public GroupInfo SetWeight(string service, int weight)
    {
        _publisher.Sync();
        _ = _store.GetService(service) ?? throw ControlException.NotFound(service);
        var member = _store.ListGroupMembers().FirstOrDefault(m => m.Service == service)
            ?? throw new ControlException(400, ErrorCodes.BadRequest,
                $"service \"{service}\" is in no service group: set metadata.group in its spec first", [new SpecIssue("metadata.group", "not set")]);
        return SetWeights(member.Group, new Dictionary<string, int> { [service] = weight });
    }

    /// <summary>Sets the group's sticky key (a header or a cookie), or with both null turns it off.</summary>
    public GroupInfo SetSticky(string group, string? header, string? cookie)
    {
        header = string.IsNullOrWhiteSpace(header) ? null : header.Trim();
        cookie = string.IsNullOrWhiteSpace(cookie) ? null : cookie.Trim();
        if (header is not null && cookie is not null)
        {
            throw new ControlException(400, ErrorCodes.BadRequest, "a sticky key is a header or a cookie, not both",
                [new SpecIssue("cookie", "give either header or cookie")]);
        }

        if ((header ?? cookie) is { } name && !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            var field = header is not null ? "header" : "cookie";
            throw new ControlException(400, ErrorCodes.BadRequest, $"{field}: \"{name}\" is not a valid name (letters, digits, '-', '_', '.')",
                [new SpecIssue(field, "letters, digits, '-', '_', '.'")]);
        }

        lock (_writeLock)
        {
            Describe(group);
            _store.SetGroupSettings(new GroupSettingsRecord(group, header, cookie));
            var now = _time.GetUtcNow();
            foreach (var m in _store.ListGroupMembers().Where(m => m.Group == group))
            {
                _store.AddEvent(m.Service, now, "Normal", "StickyChanged", header is not null ? $"group {group}: sticky by header {header}"
                    : cookie is not null ? $"group {group}: sticky by cookie {cookie}" : $"group {group}: not sticky");
            }

            _publisher.Sync();
        }

        return Describe(group);
    }

    /// <summary>The mirroring of a service (null when off).</summary>
    public MirrorSetting? GetMirror(string service)
    {
        _ = _store.GetService(service) ?? throw ControlException.NotFound(service);
        return _store.ListMirrors().FirstOrDefault(m => m.Service == service) is { } m
            ? new MirrorSetting { Ratio = m.Ratio, Target = [.. m.Targets] }
            : null;
    }

    /// <summary>Sets (or with null turns off) the copying of a share of a service's calls to test services.</summary>
    public MirrorSetting? SetMirror(string service, MirrorSetting? setting)
    {
        lock (_writeLock)
        {
            _ = _store.GetService(service) ?? throw ControlException.NotFound(service);
            if (setting is not null)
            {
                var issues = new List<SpecIssue>();
                if (setting.Ratio is < 0 or > 100)
                {
                    issues.Add(new SpecIssue("Ratio", $"must be 0-100 (percent of calls copied), got {setting.Ratio}"));
                }

                if (setting.Target.Count == 0)
                {
                    issues.Add(new SpecIssue("Target", "name at least one service to copy calls to"));
                }

                for (var i = 0; i < setting.Target.Count; i++)
                {
                    var target = setting.Target[i];
                    if (target == service)
                    {
                        issues.Add(new SpecIssue($"Target[{i}]", "a service cannot mirror to itself"));
                    }
                    else if (!SpecNames.IsValidServiceName(target, out _) || _store.GetService(target) is null)
                    {
                        issues.Add(new SpecIssue($"Target[{i}]", $"service \"{target}\" not found"));
                    }
                }

                if (issues.Count > 0)
                {
                    throw new ControlException(400, ErrorCodes.BadRequest, string.Join("; ", issues), issues);
                }
            }

            _store.SetMirror(service, setting is null ? null : new MirrorRecord(service, [.. setting.Target.Distinct(StringComparer.Ordinal)], setting.Ratio));
            _store.AddEvent(service, _time.GetUtcNow(), "Normal", setting is null ? "MirrorOff" : "MirrorSet", setting is null
                ? "mirroring turned off"
                : $"mirroring {setting.Ratio}% of calls to {string.Join(", ", setting.Target)}");
            _publisher.Sync();
        }

        return GetMirror(service);
    }
}
