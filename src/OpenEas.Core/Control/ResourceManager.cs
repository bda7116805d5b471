using System.Text.Json.Nodes;
using OpenEas.Contracts;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Resources;
using OpenEas.Core.Specs;
using OpenEas.Core.Store;

namespace OpenEas.Core.Control;

/// <summary>
/// Resource groups: <c>public</c> (this host, always there) and dedicated groups with declared capacity, optionally spot.
/// Services name their group in <c>metadata.resource</c>; the reconciler places instances against what each group offers.
/// </summary>
public sealed class ResourceManager
{
    private const double MaxCpu = 100_000;
    private const long MaxMemoryMb = 1L << 40;
    private const int MaxGpu = 100_000;
    private readonly EasStore _store;
    private readonly Reconciler _reconciler;
    private readonly TimeProvider _time;
    private readonly Lock _writeLock = new();

    public ResourceManager(EasStore store, Reconciler reconciler, TimeProvider time)
    {
        _store = store;
        _reconciler = reconciler;
        _time = time;
    }

    public ResourceGroupInfo Create(ResourceGroupRequest request)
    {
        Validate(request, creating: true);
        lock (_writeLock)
        {
            var now = _time.GetUtcNow();
            var added = request.Name != Reconciler.PublicGroup && _store.TryAddResourceGroup(new ResourceGroupRecord
            {
                Name = request.Name,
                Cpu = request.Cpu,
                MemoryMb = request.Memory,
                Gpu = request.Gpu,
                Spot = request.Spot,
                CreateTime = now,
            });
            if (!added)
            {
                throw new ControlException(409, ErrorCodes.ResourceExists, $"resource group \"{request.Name}\" already exists");
            }
        }

        _reconciler.Trigger();
        return Describe(request.Name);
    }

    /// <summary>Changes a dedicated group's capacity (what runs there keeps running; what no longer fits waits for room).</summary>
    public ResourceGroupInfo Update(string name, ResourceGroupRequest request)
    {
        request.Name = name;
        Validate(request, creating: false);
        lock (_writeLock)
        {
            var group = GetDedicated(name);
            _store.UpdateResourceGroup(group with { Cpu = request.Cpu, MemoryMb = request.Memory, Gpu = request.Gpu, Spot = request.Spot });
        }

        _reconciler.Trigger();
        return Describe(name);
    }

    public List<ResourceGroupInfo> List()
    {
        var usage = _reconciler.ResourceUsage();
        var users = ServicesByGroup();
        return
        [
            Info(Reconciler.PublicGroup, null, usage, users, withInstances: false),
            .. _store.ListResourceGroups().Select(g => Info(g.Name, g, usage, users, withInstances: false)),
        ];
    }

    public ResourceGroupInfo Describe(string name)
    {
        var group = name == Reconciler.PublicGroup ? null : GetDedicated(name);
        return Info(name, group, _reconciler.ResourceUsage(), ServicesByGroup(), withInstances: true);
    }

    public void Delete(string name)
    {
        if (name == Reconciler.PublicGroup)
        {
            throw new ControlException(409, ErrorCodes.Conflict, "the public resource group cannot be deleted");
        }

        lock (_writeLock)
        {
            GetDedicated(name);
            if (ServicesByGroup().TryGetValue(name, out var users) && users.Count > 0)
            {
                throw new ControlException(409, ErrorCodes.Conflict,
                    $"resource group \"{name}\" is used by {string.Join(", ", users)}; move or delete those services first");
            }

            if (_reconciler.ResourceUsage().TryGetValue(name, out var usage) && usage.Instances.Count > 0)
            {
                throw new ControlException(409, ErrorCodes.Conflict,
                    $"resource group \"{name}\" still runs {usage.Instances.Count} instance(s); wait for them to move out");
            }

            _store.DeleteResourceGroup(name);
        }
    }

    /// <summary>Simulates the cloud's notice that a spot group's capacity goes away (see <see cref="Reconciler.Preempt"/>).</summary>
    public PreemptResult Preempt(string name, PreemptRequest request)
    {
        var group = name == Reconciler.PublicGroup
            ? throw new ControlException(409, ErrorCodes.Conflict, "the public resource group is not spot capacity; only spot groups are preempted")
            : GetDedicated(name);
        if (!group.Spot)
        {
            throw new ControlException(409, ErrorCodes.Conflict,
                $"resource group \"{name}\" is not spot capacity; only spot groups are preempted (create one with --spot)");
        }

        var issues = new List<SpecIssue>();
        if (request.NoticeSeconds is < 0 or > 3600 || double.IsNaN(request.NoticeSeconds))
        {
            issues.Add(new SpecIssue("NoticeSeconds", "must be between 0 and 3600 seconds"));
        }

        if (request.ReclaimSeconds is < 0 or > 7 * 86400 || double.IsNaN(request.ReclaimSeconds))
        {
            issues.Add(new SpecIssue("ReclaimSeconds", "must be between 0 and 604800 seconds"));
        }

        if (request.Count is < 1)
        {
            issues.Add(new SpecIssue("Count", "must be at least 1"));
        }

        if (issues.Count > 0)
        {
            throw new ControlException(400, ErrorCodes.BadRequest, "the preemption notice is invalid: " + string.Join("; ", issues), issues);
        }

        lock (_writeLock)
        {
            try
            {
                return _reconciler.Preempt(group, request.Instances, request.Count,
                    TimeSpan.FromSeconds(request.NoticeSeconds), TimeSpan.FromSeconds(Math.Max(request.ReclaimSeconds, request.NoticeSeconds)));
            }
            catch (ArgumentException ex)
            {
                throw new ControlException(404, ErrorCodes.InstanceNotFound, ex.Message);
            }
        }
    }

    /// <summary>Spec errors for groups a service names that do not exist (checked when it is created or changed).</summary>
    public static IReadOnlyList<SpecIssue> CheckGroups(EasStore store, ServiceSpec spec)
    {
        var known = store.ListResourceGroups().Select(g => g.Name).Append(Reconciler.PublicGroup).ToHashSet(StringComparer.Ordinal);
        var issues = new List<SpecIssue>();
        if (!known.Contains(spec.Metadata.Resource))
        {
            issues.Add(new SpecIssue("metadata.resource", $"resource group \"{spec.Metadata.Resource}\" does not exist (see 'eas resource ls'; create it with 'eas resource create')"));
        }

        for (var i = 0; i < spec.Metadata.ResourceFallback.Count; i++)
        {
            var g = spec.Metadata.ResourceFallback[i];
            if (!known.Contains(g))
            {
                var path = spec.Raw["metadata"]?["resource_fallback"] is JsonArray ? $"metadata.resource_fallback[{i}]" : "metadata.resource_fallback";
                issues.Add(new SpecIssue(path, $"resource group \"{g}\" does not exist (see 'eas resource ls')"));
            }
        }

        return issues;
    }

    private ResourceGroupRecord GetDedicated(string name) =>
        _store.GetResourceGroup(name) ?? throw new ControlException(404, ErrorCodes.ResourceNotFound, $"resource group \"{name}\" not found");

    private static void Validate(ResourceGroupRequest r, bool creating)
    {
        var issues = new List<SpecIssue>();
        if (creating && !SpecNames.IsValidResourceName(r.Name))
        {
            issues.Add(new SpecIssue("Name", $"{SpecNames.ResourceNameRule}, got \"{r.Name}\""));
        }

        if (r.Cpu is <= 0 or > MaxCpu || double.IsNaN(r.Cpu))
        {
            issues.Add(new SpecIssue("Cpu", "must be a number of cores > 0"));
        }

        if (r.Memory is <= 0 or > MaxMemoryMb)
        {
            issues.Add(new SpecIssue("Memory", "must be a number of MB > 0"));
        }

        if (r.Gpu is < 0 or > MaxGpu)
        {
            issues.Add(new SpecIssue("Gpu", "must be a count >= 0"));
        }

        if (issues.Count > 0)
        {
            throw new ControlException(400, ErrorCodes.InvalidResource, "the resource group is invalid: " + string.Join("; ", issues), issues);
        }
    }

    /// <summary>Which services' current spec names each group (as their group or a fallback).</summary>
    private Dictionary<string, List<string>> ServicesByGroup()
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var service in _store.ListServices())
        {
            if (_reconciler.SpecFor(service.Name, service.CurrentVersion) is not { } spec)
            {
                continue;
            }

            foreach (var g in spec.Metadata.PlacementOrder())
            {
                if (!result.TryGetValue(g, out var list))
                {
                    result[g] = list = [];
                }

                list.Add(service.Name);
            }
        }

        return result;
    }

    private static ResourceGroupInfo Info(string name, ResourceGroupRecord? record,
        IReadOnlyDictionary<string, (GroupRoom Room, List<InstanceInfo> Instances)> usage, Dictionary<string, List<string>> users, bool withInstances)
    {
        usage.TryGetValue(name, out var u);
        var room = u.Room ?? new GroupRoom(name, ResourceAmount.Zero, ResourceAmount.Zero, ResourceAmount.Zero, record?.Spot ?? false);
        return new ResourceGroupInfo
        {
            ResourceName = name,
            ResourceType = record is null ? "Public" : "Dedicated",
            Spot = record?.Spot ?? false,
            Cpu = room.Capacity.Cpu,
            Memory = room.Capacity.MemoryMb,
            Gpu = room.Capacity.Gpu,
            UsedCpu = room.Used.Cpu,
            UsedMemory = room.Used.MemoryMb,
            UsedGpu = room.Used.Gpu,
            ReclaimedCpu = room.Reclaimed.Cpu,
            ReclaimedMemory = room.Reclaimed.MemoryMb,
            ReclaimedGpu = room.Reclaimed.Gpu,
            ReclaimedUntil = room.Reclaimed == ResourceAmount.Zero ? null : record?.ReclaimedUntil,
            InstanceCount = u.Instances?.Count ?? 0,
            Services = users.TryGetValue(name, out var list) ? list : [],
            CreateTime = record?.CreateTime ?? default,
            Instances = withInstances ? u.Instances ?? [] : null,
        };
    }
}
