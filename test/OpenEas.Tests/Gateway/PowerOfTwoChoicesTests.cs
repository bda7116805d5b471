using OpenEas.Core.Routing;
using OpenEas.Gateway.Balancing;

namespace OpenEas.Tests.Gateway;

public class PowerOfTwoChoicesTests
{
    private const int Picks = 1000;

    /// <summary>One endpoint per entry, with that many requests in flight.</summary>
    private static ServiceEndpoint[] Endpoints(params int[] inFlight)
    {
        var endpoints = new ServiceEndpoint[inFlight.Length];
        for (var i = 0; i < inFlight.Length; i++)
        {
            endpoints[i] = new ServiceEndpoint($"i{i}", $"http://127.0.0.1:{41000 + i}/");
            for (var n = 0; n < inFlight[i]; n++)
            {
                endpoints[i].Enter();
            }
        }

        return endpoints;
    }

    private static Dictionary<string, int> Tally(ServiceEndpoint[] endpoints)
    {
        var counts = endpoints.ToDictionary(e => e.InstanceId, _ => 0);
        for (var i = 0; i < Picks; i++)
        {
            counts[PowerOfTwoChoices.Pick(endpoints)!.InstanceId]++;
        }

        return counts;
    }

    [Fact]
    public void No_endpoints_picks_nothing()
    {
        Assert.Null(PowerOfTwoChoices.Pick([]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Single_endpoint_is_always_picked_however_busy(int inFlight)
    {
        var endpoints = Endpoints(inFlight);

        Assert.Equal(Picks, Tally(endpoints)["i0"]);
    }

    [Theory]
    [InlineData(new[] { 50, 0 }, "i1")]
    [InlineData(new[] { 0, 50 }, "i0")]
    [InlineData(new[] { 2, 1 }, "i1")]
    public void Of_two_endpoints_the_less_busy_is_always_picked(int[] inFlight, string expected)
    {
        // Two distinct samples out of two are both endpoints, so the choice is never left to chance.
        Assert.Equal(Picks, Tally(Endpoints(inFlight))[expected]);
    }

    [Theory]
    [InlineData(new[] { 50, 0, 0 }, "i0")]
    [InlineData(new[] { 0, 50, 1 }, "i1")]
    [InlineData(new[] { 1, 2, 3 }, "i2")]
    [InlineData(new[] { 5, 5, 9, 5, 5 }, "i2")]
    public void The_strictly_busiest_endpoint_is_never_picked(int[] inFlight, string busiest)
    {
        var counts = Tally(Endpoints(inFlight));

        Assert.Equal(0, counts[busiest]);
        Assert.Equal(Picks, counts.Values.Sum());
    }

    [Fact]
    public void Equally_loaded_endpoints_all_get_traffic()
    {
        var counts = Tally(Endpoints(0, 0, 0));

        // Each is sampled in 2 of 3 pairs and wins a tie as the first sample in half of those: ~1/3 each.
        // 1000 picks at p = 1/3 stay above 200 with overwhelming probability (mean 333, sd 15).
        Assert.All(counts.Values, c => Assert.InRange(c, 200, Picks));
    }

    [Fact]
    public void The_least_busy_of_three_wins_two_thirds_of_the_picks()
    {
        var counts = Tally(Endpoints(0, 5, 9));

        // i0 wins whenever it is sampled (2 of the 3 pairs); i1 wins only the pair {i1, i2}.
        Assert.InRange(counts["i0"], 550, 780);
        Assert.InRange(counts["i1"], 220, 450);
        Assert.Equal(0, counts["i2"]);
    }
}
