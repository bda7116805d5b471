using OpenEas.Core.Routing;

namespace OpenEas.Gateway.Balancing;

/// <summary>Power-of-two-choices on outstanding requests: pick two at random, take the less busy.</summary>
internal static class PowerOfTwoChoices
{
    public static ServiceEndpoint? Pick(ServiceEndpoint[] endpoints)
    {
        switch (endpoints.Length)
        {
            case 0:
                return null;
            case 1:
                return endpoints[0];
        }

        var a = Random.Shared.Next(endpoints.Length);
        var b = Random.Shared.Next(endpoints.Length - 1);
        if (b >= a)
        {
            b++;
        }

        var first = endpoints[a];
        var second = endpoints[b];
        return second.InFlight < first.InFlight ? second : first;
    }
}
