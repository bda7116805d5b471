using OpenEas.Core.Specs;

namespace OpenEas.Tests.Reconcile;

public class RollingStrategyTests
{
    [Theory]
    // Counts are taken as they are.
    [InlineData("1", "0", 3, 1, 0)]
    [InlineData("2", "1", 5, 2, 1)]
    [InlineData(" 3 ", " 2 ", 10, 3, 2)]
    // Percentages of the instance count: surge rounds up, unavailable rounds down.
    [InlineData("25%", "25%", 10, 3, 2)]
    [InlineData("10%", "10%", 3, 1, 0)]
    [InlineData("50%", "50%", 3, 2, 1)]
    [InlineData("100%", "0%", 4, 4, 0)]
    [InlineData("0%", "100%", 4, 0, 4)]
    [InlineData("33.3%", "33.3%", 6, 2, 1)]
    public void Resolve_turns_counts_and_percentages_into_instances(string maxSurge, string maxUnavailable, int desired, int surge, int unavailable)
    {
        var strategy = new RollingStrategy { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable };

        Assert.Equal((surge, unavailable), strategy.Resolve(desired));
    }

    [Theory]
    [InlineData("0", "0", 3)]
    [InlineData("0%", "0%", 3)]
    // Rounding down a small percentage leaves 0 unavailable: the surge of 1 keeps the rollout moving.
    [InlineData("0", "25%", 3)]
    [InlineData("0%", "50%", 1)]
    [InlineData("25%", "0", 0)]
    public void Resolve_allows_a_surge_of_one_when_both_would_be_zero(string maxSurge, string maxUnavailable, int desired)
    {
        var strategy = new RollingStrategy { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable };

        Assert.Equal((1, 0), strategy.Resolve(desired));
    }

    [Theory]
    [InlineData("5", 2, 2)]
    [InlineData("150%", 2, 2)]
    [InlineData("1", 0, 0)]
    public void Resolve_never_allows_more_unavailable_than_desired(string maxUnavailable, int desired, int unavailable)
    {
        var strategy = new RollingStrategy { MaxSurge = "0", MaxUnavailable = maxUnavailable };

        Assert.Equal(unavailable, strategy.Resolve(desired).Unavailable);
    }

    [Fact]
    public void Default_strategy_is_surge_one_unavailable_zero()
    {
        Assert.Equal((1, 0), new RollingStrategy().Resolve(3));
    }
}
