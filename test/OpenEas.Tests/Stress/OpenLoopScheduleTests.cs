using OpenEas.Client.Stress;

namespace OpenEas.Tests.Stress;

public class OpenLoopScheduleTests
{
    [Theory]
    // elapsed ms, rate → calls due (call 0 is due at 0)
    [InlineData(-1, 100, 0)]
    [InlineData(0, 100, 1)]
    [InlineData(9, 100, 1)]
    [InlineData(10, 100, 2)]
    [InlineData(999, 100, 100)]
    [InlineData(1000, 100, 101)]
    [InlineData(500, 3, 2)]
    [InlineData(1000, 0.5, 1)]
    [InlineData(2000, 0.5, 2)]
    public void Calls_are_due_on_a_fixed_grid_whatever_the_answers_do(double elapsedMs, double rate, long due) =>
        Assert.Equal(due, OpenLoopSchedule.Due(TimeSpan.FromMilliseconds(elapsedMs), rate));

    [Theory]
    [InlineData(1000, 100, 100)]
    [InlineData(1000, 3, 3)]
    [InlineData(5000, 50, 250)]
    [InlineData(1500, 2, 3)]
    [InlineData(1000, 1.5, 2)]   // due at 0 and 0.667 s
    [InlineData(0, 100, 0)]
    public void A_phase_holds_the_calls_due_before_its_end(double lengthMs, double rate, long calls) =>
        Assert.Equal(calls, OpenLoopSchedule.InPhase(TimeSpan.FromMilliseconds(lengthMs), rate));

    [Fact]
    public void Each_call_is_intended_at_its_index_over_the_rate()
    {
        Assert.Equal(TimeSpan.Zero, OpenLoopSchedule.Intended(0, 200));
        Assert.Equal(TimeSpan.FromMilliseconds(5), OpenLoopSchedule.Intended(1, 200));
        Assert.Equal(TimeSpan.FromSeconds(1), OpenLoopSchedule.Intended(200, 200));
        // Over a second at any rate, exactly `rate` calls are due before the second ends.
        foreach (var rate in new[] { 1.0, 7, 50, 333, 1000, 20_000 })
        {
            Assert.Equal((long)rate, OpenLoopSchedule.InPhase(TimeSpan.FromSeconds(1), rate));
            Assert.True(OpenLoopSchedule.Intended((long)rate - 1, rate) < TimeSpan.FromSeconds(1));
        }
    }
}
