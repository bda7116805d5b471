using OpenEas.Contracts;

namespace OpenEas.Core.Reconcile;

/// <summary>An instance as the status evaluator sees it.</summary>
/// <param name="Restarts">How often the instance has been restarted; a restarted instance that is not Ready is crash-looping.</param>
public sealed record StatusInstance(string Id, int Version, string State, bool Ready, string Reason, string Message, int Restarts = 0);

/// <summary>A service's computed state with a human reason.</summary>
public sealed record ServiceStatus(string Status, string Reason, string Message);

/// <summary>Turns desired state and live instances into the service's status. Pure; tested in tables.</summary>
public static class ServiceStatusEvaluator
{
    public static ServiceStatus Evaluate(bool deleting, bool stopped, int desired, int version, IReadOnlyList<StatusInstance> instances,
        string previous)
    {
        if (deleting)
        {
            return new(ServiceStates.Deleting, instances.Count > 0 ? $"stopping {instances.Count} instance(s)" : "", "");
        }

        if (stopped)
        {
            return instances.Count > 0
                ? new(ServiceStates.Stopping, $"stopping {instances.Count} instance(s)", "")
                : new(ServiceStates.Stopped, "stopped by user", "");
        }

        var readyCurrent = 0;
        var liveCurrent = 0;
        var old = 0;
        var oldDraining = 0;
        StatusInstance? crashing = null;
        StatusInstance? waiting = null;
        var waitingCount = 0;
        foreach (var i in instances)
        {
            if (i.State == InstanceStates.Draining)
            {
                oldDraining += i.Version != version ? 1 : 0;
                continue;
            }

            if (i.Version != version)
            {
                old++;
                continue;
            }

            liveCurrent++;
            if (i.Ready)
            {
                readyCurrent++;
            }
            else if (i.State == InstanceStates.Pending)
            {
                waiting ??= i;
                waitingCount++;
            }
            else if (i.State == InstanceStates.Failed || i.Restarts > 0)
            {
                // Between two crashes a crash-looping instance is briefly Starting: it still counts as failing.
                crashing ??= i;
            }
        }

        var draining = instances.Count(i => i.State == InstanceStates.Draining);
        if (readyCurrent >= desired && old == 0 && liveCurrent <= desired && (draining == 0 || previous == ServiceStates.Running))
        {
            return new(ServiceStates.Running, "", $"{readyCurrent}/{desired} instances ready");
        }

        // An update is over when the old version is gone, not when it starts draining (else it would read "Scaling").
        if (old > 0 || (oldDraining > 0 && previous == ServiceStates.Updating))
        {
            // The old version keeps serving while the new one comes up (or fails to).
            var failing = crashing is not null ? $"; new instance {crashing.Id} is failing: {crashing.Reason}"
                : waiting is not null ? $"; {waitingCount} new instance(s) waiting for resources: {waiting.Message}"
                : "";
            return new(ServiceStates.Updating, $"rolling to version {version}: {readyCurrent}/{desired} new instances ready{failing}",
                crashing?.Message ?? "");
        }

        if (crashing is not null && readyCurrent == 0)
        {
            var why = crashing.State == InstanceStates.Failed ? crashing.Reason : $"restarted {crashing.Restarts} time(s), starting again";
            return new(ServiceStates.Failed, $"instance {crashing.Id}: {why}", crashing.Message);
        }

        if (waiting is not null)
        {
            return new(ServiceStates.Waiting, $"{waitingCount} of {desired} instance(s) waiting for resources: {waiting.Message}", "");
        }

        var progress = $"{readyCurrent}/{desired} instances ready";
        if (crashing is not null)
        {
            progress += $"; instance {crashing.Id}: {crashing.Reason}";
        }

        var state = previous switch
        {
            ServiceStates.Stopped or ServiceStates.Stopping or ServiceStates.Starting => ServiceStates.Starting,
            ServiceStates.Creating or ServiceStates.Waiting or ServiceStates.Failed => ServiceStates.Creating,
            _ => ServiceStates.Scaling,
        };
        return new(state, progress, "");
    }

    /// <summary>What the gateway tells a caller when the service has no Ready instance: the service's state and its reason.</summary>
    public static string Unavailable(ServiceStatus status, int desired) => status.Status switch
    {
        ServiceStates.Running when desired == 0 => "it is scaled to 0 instances",
        ServiceStates.Running => "",
        _ when status.Reason.Length > 0 => $"{status.Status}: {status.Reason}",
        _ => status.Status,
    };
}
