using OpenEas.Core.Reconcile;

namespace OpenEas.Tests.Reconcile;

public class RolloutPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Live instances as space-separated <c>id/version/state/minute</c>, state R = Ready, S = started but
    /// not ready, P = Pending (waiting for resources); a fifth part <c>O</c> marks an instance overflowing into
    /// another resource group. E.g. <c>a/1/R/0 b/2/S/5 c/1/R/2/O</c>.
    /// </summary>
    private static List<PlanInstance> Live(string live) =>
        [.. live.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(token =>
        {
            var p = token.Split('/');
            return new PlanInstance(p[0], int.Parse(p[1]), Ready: p[2] == "R", Pending: p[2] == "P", T0.AddMinutes(int.Parse(p[3])),
                Overflow: p.Length > 4 && p[4] == "O");
        })];

    private static string[] Ids(string ids) => [.. ids.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];

    private static void AssertPlan(RolloutPlan plan, int create, string drain)
    {
        Assert.Equal(create, plan.Create);
        Assert.Equal(Ids(drain), plan.Drain.Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Fresh_service_creates_the_desired_count(int desired)
    {
        AssertPlan(RolloutPlanner.Plan(desired, 1, [], surge: 1, unavailable: 0), desired, "");
    }

    [Theory]
    [InlineData("a/1/R/0", 2)]
    [InlineData("a/1/S/0", 2)]
    [InlineData("a/1/P/0", 2)]
    public void Scale_up_creates_only_the_missing_instances(string live, int create)
    {
        AssertPlan(RolloutPlanner.Plan(3, 1, Live(live), surge: 1, unavailable: 0), create, "");
    }

    [Theory]
    // Waiting for resources goes first, even when it is the oldest.
    [InlineData("a/1/R/1 b/1/R/2 c/1/P/0", 2, "c")]
    // Then what is started but not ready.
    [InlineData("a/1/R/1 b/1/S/0 c/1/R/3", 2, "b")]
    // Then the newest Ready ones.
    [InlineData("a/1/R/1 b/1/R/3 c/1/R/2", 1, "b c")]
    [InlineData("a/1/R/1 b/1/R/3 c/1/R/2", 2, "b")]
    // 3 → 1 with one of each: only the Ready one stays.
    [InlineData("a/1/R/0 b/1/S/1 c/1/P/2", 1, "b c")]
    // Among several waiting, the newest goes first.
    [InlineData("a/1/R/0 b/1/P/1 c/1/P/2", 2, "c")]
    public void Scale_in_drops_waiting_then_not_ready_then_newest_ready(string live, int desired, string drain)
    {
        AssertPlan(RolloutPlanner.Plan(desired, 1, Live(live), surge: 1, unavailable: 0), 0, drain);
    }

    [Theory]
    // Overflow goes before the service's own group, even when older and Ready.
    [InlineData("a/1/R/3 b/1/R/0/O c/1/R/2", 2, "b")]
    [InlineData("a/1/R/0/O b/1/R/1/O c/1/R/2 d/1/R/3", 2, "a b")]
    // Among overflow, the not-ready and then the newest go first.
    [InlineData("a/1/R/0/O b/1/S/1/O c/1/R/2", 2, "b")]
    [InlineData("a/1/R/0/O b/1/R/1/O c/1/R/2", 2, "b")]
    // Waiting instances still go before anything that runs.
    [InlineData("a/1/R/0/O b/1/P/1 c/1/R/2", 2, "b")]
    // A starting instance in the own group stays over a Ready overflow one.
    [InlineData("a/1/R/0/O b/1/S/1", 1, "a")]
    public void Scale_in_drops_overflow_instances_first(string live, int desired, string drain)
    {
        AssertPlan(RolloutPlanner.Plan(desired, 1, Live(live), surge: 1, unavailable: 0), 0, drain);
    }

    [Fact]
    public void Rolling_update_of_one_instance_brings_the_new_one_up_before_draining_the_old()
    {
        // Step 1: the new version is created next to the old one, which keeps serving.
        AssertPlan(RolloutPlanner.Plan(1, 2, Live("old/1/R/0"), surge: 1, unavailable: 0), 1, "");

        // Step 2: the new instance is starting; nothing moves.
        Assert.Same(RolloutPlan.None, RolloutPlanner.Plan(1, 2, Live("old/1/R/0 new/2/S/1"), surge: 1, unavailable: 0));

        // Step 3: the new instance is Ready; the old one drains.
        AssertPlan(RolloutPlanner.Plan(1, 2, Live("old/1/R/0 new/2/R/1"), surge: 1, unavailable: 0), 0, "old");
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(3, 1, 0)]
    [InlineData(3, 0, 1)]
    [InlineData(3, 2, 0)]
    [InlineData(5, 2, 1)]
    [InlineData(4, 1, 2)]
    [InlineData(2, 0, 2)]
    [InlineData(5, 5, 0)]
    public void Rolling_update_never_drops_below_desired_ready_nor_exceeds_surge(int desired, int surge, int unavailable)
    {
        var sim = new Simulation(desired, oldVersion: 1);
        sim.RollTo(version: 2, surge, unavailable);

        Assert.All(sim.Live, i => Assert.Equal(2, i.Version));
        Assert.All(sim.Live, i => Assert.True(i.Ready));
        Assert.Equal(desired, sim.Live.Count);
        Assert.All(sim.History, step =>
        {
            Assert.True(step.Ready >= desired - unavailable, $"{step}: fewer than {desired - unavailable} Ready");
            Assert.True(step.Total <= desired + surge, $"{step}: more than {desired + surge} instances");
        });
    }

    [Fact]
    public void Rolling_update_of_three_with_surge_one_goes_one_instance_at_a_time()
    {
        var sim = new Simulation(3, oldVersion: 1);
        sim.RollTo(version: 2, surge: 1, unavailable: 0);

        // Each of the three replacements is a create, then (after Ready) a drain of one old plus the next create,
        // and the last drain alone.
        Assert.Equal(
            ["create 1", "drain 1 create 1", "drain 1 create 1", "drain 1"],
            sim.History.Select(s => s.Action).ToArray());
        Assert.All(sim.History, s => Assert.True(s.Ready >= 3 && s.Total <= 4, s.ToString()));
    }

    [Fact]
    public void Rolling_update_with_unavailable_and_no_surge_progresses_by_draining_first()
    {
        // The first step must drain an old instance to make room: surge 0 allows no extra.
        AssertPlan(RolloutPlanner.Plan(3, 2, Live("a/1/R/0 b/1/R/1 c/1/R/2"), surge: 0, unavailable: 1), 1, "a");

        // While the replacement starts, no more old instances go (only one may be unavailable).
        Assert.Same(RolloutPlan.None, RolloutPlanner.Plan(3, 2, Live("b/1/R/1 c/1/R/2 n/2/S/3"), surge: 0, unavailable: 1));

        var sim = new Simulation(3, oldVersion: 1);
        sim.RollTo(version: 2, surge: 0, unavailable: 1);
        Assert.Equal(3, sim.Live.Count(i => i.Version == 2 && i.Ready));
        Assert.All(sim.History, s => Assert.True(s.Ready >= 2 && s.Total <= 3, s.ToString()));
    }

    [Theory]
    [InlineData(1, "a/1/S/0 b/1/R/1", 1, "a")]
    [InlineData(1, "a/1/P/0 b/1/R/1", 1, "a")]
    [InlineData(2, "a/1/S/0 b/1/P/1", 2, "a b")]
    [InlineData(3, "a/1/S/0 b/1/S/1 c/1/S/2", 3, "a b c")]
    // Alongside a new instance still starting: the broken old one goes, the Ready old one stays.
    [InlineData(2, "a/1/S/0 b/1/R/1 c/2/S/2", 1, "a")]
    public void Old_instances_that_are_not_ready_are_drained_at_once(int desired, string live, int create, string drain)
    {
        // They serve nothing, so removing them costs no availability, even with unavailable 0.
        AssertPlan(RolloutPlanner.Plan(desired, 2, Live(live), surge: 1, unavailable: 0), create, drain);
    }

    [Theory]
    [InlineData("a/1/R/0 b/1/S/1 c/1/P/2")]
    [InlineData("a/1/R/0 b/2/R/1 c/2/S/2")]
    [InlineData("a/2/R/0")]
    public void Stop_drains_everything_and_creates_nothing(string live)
    {
        var plan = RolloutPlanner.Plan(0, 2, Live(live), surge: 1, unavailable: 0);

        AssertPlan(plan, 0, string.Join(' ', Live(live).Select(i => i.Id)));
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData(1, "a/2/R/0")]
    [InlineData(2, "a/2/R/0 b/2/R/1")]
    // Instances still starting or waiting: the planner waits for them rather than adding more.
    [InlineData(2, "a/2/R/0 b/2/S/1")]
    [InlineData(2, "a/2/P/0 b/2/S/1")]
    // Mid-update with the surge used up and the new one not Ready: wait.
    [InlineData(2, "a/1/R/0 b/1/R/1 c/2/S/2")]
    public void Converged_or_waiting_service_gets_no_plan(int desired, string live)
    {
        Assert.Same(RolloutPlan.None, RolloutPlanner.Plan(desired, 2, Live(live), surge: 1, unavailable: 0));
    }

    [Fact]
    public void Scale_in_during_an_update_keeps_enough_old_instances_serving()
    {
        // 3 old Ready, now version 2 with 1 replica: two old go, one stays until the new one is Ready.
        AssertPlan(RolloutPlanner.Plan(1, 2, Live("a/1/R/0 b/1/R/1 c/1/R/2"), surge: 1, unavailable: 0), 1, "a b");
    }

    /// <summary>Applies plans like the reconciler does: drained instances leave, created ones start not Ready.</summary>
    private sealed class Simulation
    {
        private int _next;

        public Simulation(int count, int oldVersion)
        {
            for (var i = 0; i < count; i++)
            {
                Live.Add(new PlanInstance($"i{_next}", oldVersion, Ready: true, Pending: false, T0.AddMinutes(_next)));
                _next++;
            }
        }

        public List<PlanInstance> Live { get; } = [];

        public List<Step> History { get; } = [];

        public void RollTo(int version, int surge, int unavailable)
        {
            var desired = Live.Count;
            for (var pass = 0; pass < 100; pass++)
            {
                var plan = RolloutPlanner.Plan(desired, version, Live, surge, unavailable);
                if (ReferenceEquals(plan, RolloutPlan.None))
                {
                    // The planner waits for starting instances; let them become Ready.
                    if (!Live.Exists(i => !i.Ready))
                    {
                        return;
                    }

                    for (var i = 0; i < Live.Count; i++)
                    {
                        Live[i] = Live[i] with { Ready = true };
                    }

                    continue;
                }

                Live.RemoveAll(i => plan.Drain.Contains(i.Id));
                for (var c = 0; c < plan.Create; c++)
                {
                    Live.Add(new PlanInstance($"i{_next}", version, Ready: false, Pending: false, T0.AddMinutes(_next)));
                    _next++;
                }

                var action = string.Join(' ', new[]
                {
                    plan.Drain.Count > 0 ? $"drain {plan.Drain.Count}" : null,
                    plan.Create > 0 ? $"create {plan.Create}" : null,
                }.Where(s => s is not null));
                History.Add(new Step(action, Live.Count(i => i.Ready), Live.Count));
            }

            Assert.Fail($"no convergence after 100 passes: {string.Join(", ", History)}");
        }
    }

    private sealed record Step(string Action, int Ready, int Total);
}
