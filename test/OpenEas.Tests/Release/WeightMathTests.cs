using OpenEas.Core.Routing;

namespace OpenEas.Tests.Release;

public class WeightMathTests
{
    public static TheoryData<int[], int> Windows => new()
    {
        { [90, 10], 10 },
        { [50, 50], 2 },
        { [100, 0], 1 },
        { [0, 100], 1 },
        { [5, 95], 20 },
        { [33, 33, 34], 100 },
        { [1, 2, 3], 6 },
        { [0, 0], 0 },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void Schedule_gives_each_member_exactly_its_weight_per_window(int[] weights, int window)
    {
        var schedule = WeightMath.Schedule(weights);

        Assert.Equal(window, schedule.Length);
        var total = weights.Sum();
        for (var i = 0; i < weights.Length && total > 0; i++)
        {
            Assert.Equal(weights[i] * window / total, schedule.Count(s => s == i));
        }
    }

    [Fact]
    public void Schedule_spreads_a_small_member_out_instead_of_sending_it_a_run()
    {
        // nginx's smooth round-robin: 5/1/1 is a a b a c a a, never a run of the small ones.
        Assert.Equal([0, 0, 1, 0, 2, 0, 0], WeightMath.Schedule([5, 1, 1]));
    }

    [Fact]
    public void Negative_weights_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightMath.Schedule([10, -1]));

    [Theory]
    [InlineData(0UL, new[] { 90, 10 }, 0)]
    [InlineData(89UL, new[] { 90, 10 }, 0)]
    [InlineData(90UL, new[] { 90, 10 }, 1)]
    [InlineData(99UL, new[] { 90, 10 }, 1)]
    [InlineData(100UL, new[] { 90, 10 }, 0)]
    [InlineData(7UL, new[] { 0, 100 }, 1)]
    [InlineData(7UL, new[] { 0, 0 }, -1)]
    [InlineData(5UL, new[] { 5, 0, 95 }, 2)]
    public void Sticky_index_maps_the_hash_onto_weight_ranges(ulong hash, int[] weights, int expected) =>
        Assert.Equal(expected, WeightMath.StickyIndex(hash, weights));

    [Fact]
    public void Raising_a_canary_weight_only_moves_users_onto_it()
    {
        var users = Enumerable.Range(0, 2000).Select(i => WeightMath.Hash($"user-{i}")).ToList();
        var at5 = users.Select(h => WeightMath.StickyIndex(h, [5, 95])).ToList();
        var at25 = users.Select(h => WeightMath.StickyIndex(h, [25, 75])).ToList();

        for (var i = 0; i < users.Count; i++)
        {
            if (at5[i] == 0)
            {
                Assert.Equal(0, at25[i]);
            }
        }

        Assert.InRange(at25.Count(x => x == 0) / 2000.0, 0.21, 0.29);
    }

    [Fact]
    public void Hash_is_stable_across_processes() =>
        Assert.Equal(WeightMath.Hash("user-42"), WeightMath.Hash("user-42".AsSpan()));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(20, 20)]
    [InlineData(1, 1)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    public void Sampling_copies_exactly_the_percentage_of_every_100_calls(int percent, int expected)
    {
        for (var window = 0; window < 3; window++)
        {
            var sampled = Enumerable.Range(window * 100 + 1, 100).Count(n => WeightMath.Sampled(n, percent));
            Assert.Equal(expected, sampled);
        }
    }

    [Fact]
    public void Split_picks_follow_the_schedule_and_sticky_keys_stay()
    {
        var split = new TrafficSplit("g", [new SplitMember("a", 90), new SplitMember("b", 10)], ["a", "b"], new StickyKey("X-User", null));

        var picks = Enumerable.Range(0, 1000).Select(_ => split.PickNext()).ToList();

        Assert.Equal(100, picks.Count(p => p == 1));
        Assert.Equal(split.PickSticky("u1"), split.PickSticky("u1"));
        Assert.True(split.SameAs(new TrafficSplit("g", [new SplitMember("a", 90), new SplitMember("b", 10)], ["a", "b"], new StickyKey("X-User", null))));
        Assert.False(split.SameAs(new TrafficSplit("g", [new SplitMember("a", 80), new SplitMember("b", 20)], ["a", "b"], new StickyKey("X-User", null))));
    }
}
