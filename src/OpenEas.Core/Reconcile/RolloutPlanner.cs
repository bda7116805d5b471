namespace OpenEas.Core.Reconcile;

/// <summary>What the planner needs to know of one live (not draining) instance.</summary>
/// <param name="Overflow">Placed outside the service's own resource group: goes first on scale-in.</param>
public sealed record PlanInstance(string Id, int Version, bool Ready, bool Pending, DateTimeOffset CreateTime, bool Overflow = false);

/// <summary>The planner's decision: how many instances of the current version to add, which to drain.</summary>
public sealed record RolloutPlan(int Create, IReadOnlyList<string> Drain)
{
    public static readonly RolloutPlan None = new(0, []);
}

/// <summary>
/// Decides one step of converging a service to (version, replicas), like a Kubernetes Deployment:
/// new-version instances come up first (up to <c>surge</c> extra), old ones are drained only while at
/// least <c>desired - unavailable</c> instances stay Ready. A pure function, tested in tables.
/// </summary>
public static class RolloutPlanner
{
    public static RolloutPlan Plan(int desired, int version, IReadOnlyList<PlanInstance> live, int surge, int unavailable)
    {
        var current = new List<PlanInstance>();
        var old = new List<PlanInstance>();
        foreach (var i in live)
        {
            (i.Version == version ? current : old).Add(i);
        }

        var drain = new List<string>();

        // Scale in the current version: drop what serves least first (waiting, then starting, then the newest),
        // except that instances overflowing into another group go before any in the service's own group.
        if (current.Count > desired)
        {
            foreach (var victim in current
                .OrderBy(i => i.Pending ? 0 : 1)
                .ThenByDescending(i => i.Overflow)
                .ThenBy(i => i.Ready ? 1 : 0)
                .ThenByDescending(i => i.CreateTime)
                .Take(current.Count - desired))
            {
                drain.Add(victim.Id);
            }
        }

        // Old versions that serve nothing can go at once.
        var oldReady = new List<PlanInstance>();
        foreach (var i in old)
        {
            if (i.Ready)
            {
                oldReady.Add(i);
            }
            else
            {
                drain.Add(i.Id);
            }
        }

        // Ready old instances go only while enough others stay Ready.
        var currentReady = 0;
        foreach (var i in current)
        {
            if (i.Ready && !drain.Contains(i.Id))
            {
                currentReady++;
            }
        }

        var minAvailable = Math.Max(0, desired - unavailable);
        var removable = currentReady + oldReady.Count - minAvailable;
        if (currentReady >= desired)
        {
            removable = oldReady.Count;
        }

        foreach (var victim in oldReady.OrderBy(i => i.CreateTime).Take(Math.Clamp(removable, 0, oldReady.Count)))
        {
            drain.Add(victim.Id);
        }

        // Bring up the current version, within the surge allowance.
        var liveAfter = live.Count - drain.Count;
        var keptCurrent = current.Count - current.Count(i => drain.Contains(i.Id));
        var missing = desired - keptCurrent;
        var room = desired + surge - liveAfter;
        var create = Math.Max(0, Math.Min(missing, room));
        return create == 0 && drain.Count == 0 ? RolloutPlan.None : new RolloutPlan(create, drain);
    }
}
