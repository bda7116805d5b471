using OpenEas.Core.Routing;

namespace OpenEas.Gateway.Balancing;

/// <summary>
/// Power-of-two-choices on outstanding requests: pick two at random, take the less busy. Instances that
/// passive health has ejected are skipped while any other is left; with a concurrency limit, only
/// instances below it are taken (their slot is reserved before returning).
/// </summary>
internal static class PowerOfTwoChoices
{
    /// <summary>Picks an instance (no limit); null when there is none.</summary>
    public static ServiceEndpoint? Pick(ServiceEndpoint[] endpoints, long now = 0, ServiceEndpoint? exclude = null)
    {
        switch (endpoints.Length)
        {
            case 0:
                return null;
            case 1:
                return endpoints[0] == exclude ? null : endpoints[0];
        }

        var a = Random.Shared.Next(endpoints.Length);
        var b = Random.Shared.Next(endpoints.Length - 1);
        var first = endpoints[a];
        var second = endpoints[b >= a ? b + 1 : b];
        var firstOk = first != exclude && !first.IsEjected(now);
        var secondOk = second != exclude && !second.IsEjected(now);
        if (firstOk && secondOk)
        {
            return second.InFlight < first.InFlight ? second : first;
        }

        if (firstOk || secondOk)
        {
            return firstOk ? first : second;
        }

        // Both samples unusable: take the least busy usable one, else any but the excluded.
        ServiceEndpoint? best = null;
        ServiceEndpoint? fallback = null;
        foreach (var e in endpoints)
        {
            if (e == exclude)
            {
                continue;
            }

            fallback ??= e;
            if (!e.IsEjected(now) && (best is null || e.InFlight < best.InFlight))
            {
                best = e;
            }
        }

        return best ?? fallback;
    }

    /// <summary>Picks an instance below <paramref name="limit"/> in-flight calls and takes its slot; null when all are full.</summary>
    public static ServiceEndpoint? PickWithLimit(ServiceEndpoint[] endpoints, int limit, long now, ServiceEndpoint? exclude = null)
    {
        var choice = Pick(endpoints, now, exclude);
        if (choice is not null && choice.TryEnter(limit))
        {
            return choice;
        }

        // The sampled ones are full: scan for any slot, least busy first.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            ServiceEndpoint? best = null;
            foreach (var e in endpoints)
            {
                if (e != exclude && e.InFlight < limit && (best is null || e.InFlight < best.InFlight) && (attempt == 1 || !e.IsEjected(now)))
                {
                    best = e;
                }
            }

            if (best is not null && best.TryEnter(limit))
            {
                return best;
            }
        }

        return null;
    }
}
