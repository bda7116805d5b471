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
    /// <param name="maxCurrent">An update plan's batch: at most this many instances of the current version for now (the rest
    /// stay on their old version); null = no limit.</param>
    public static RolloutPlan Plan(int desired, int version, IReadOnlyList<PlanInstance> live, int surge, int unavailable, int? maxCurrent = null)
    {
        var cap = Math.Min(desired, maxCurrent ?? desired);
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

        // A batch keeps the old instances the later batches will replace.
        removable = Math.Min(removable, oldReady.Count - Math.Max(0, desired - cap));
        foreach (var victim in oldReady.OrderBy(i => i.CreateTime).Take(Math.Clamp(removable, 0, oldReady.Count)))
        {
            drain.Add(victim.Id);
        }

        // Bring up the current version, within the surge allowance.
        var liveAfter = live.Count - drain.Count;
        var keptCurrent = current.Count - current.Count(i => drain.Contains(i.Id));
        var missing = cap - keptCurrent;
        var room = desired + surge - liveAfter;
        var create = Math.Max(0, Math.Min(missing, room));
        return create == 0 && drain.Count == 0 ? RolloutPlan.None : new RolloutPlan(create, drain);
    }
}

/// <summary>Where an update plan stands for one service: the version being rolled to, its batch, and when that batch was Ready.</summary>
public sealed record BatchState(int Version, int Batch, DateTimeOffset? ReadyAt);

/// <summary>
/// Update plans (<c>metadata.rolling_strategy.batches</c>, <c>pause_seconds</c>): a rolling update replaces the instances in
/// batches of ceil(desired / batches), and waits <c>pause</c> after a batch is Ready before the next. A pure function, tested in tables.
/// </summary>
public static class BatchPlanner
{
    /// <returns>How many current-version instances are allowed now (null: no limit) and the state to keep (null: none).</returns>
    public static (int? Cap, BatchState? State) Cap(int desired, int version, int batches, TimeSpan pause, int currentReady, int oldLive,
        BatchState? state, DateTimeOffset now)
    {
        if (batches <= 1 || oldLive == 0 || desired <= 1)
        {
            return (null, null);
        }

        if (state is null || state.Version != version)
        {
            state = new BatchState(version, 1, null);
        }

        var size = (desired + batches - 1) / batches;
        var cap = Math.Min(desired, state.Batch * size);
        if (currentReady >= cap && cap < desired)
        {
            var readyAt = state.ReadyAt ?? now;
            if (now - readyAt >= pause)
            {
                state = new BatchState(version, state.Batch + 1, null);
                cap = Math.Min(desired, state.Batch * size);
            }
            else
            {
                state = state with { ReadyAt = readyAt };
            }
        }

        return (cap, state);
    }
}
