using Microsoft.Extensions.Time.Testing;
using OpenEas.Core.Metrics;

namespace OpenEas.Tests.Metrics;

public class MetricsHubTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, SeriesGauges> NoGauges = [];

    private static (FakeTimeProvider Clock, MetricsHub Hub) NewHub(string? store = null)
    {
        var clock = new FakeTimeProvider(Start);
        return (clock, new MetricsHub(clock, store));
    }

    [Fact]
    public void Arrivals_are_counted_in_the_second_calls_arrive_apart_from_the_answers()
    {
        // A queue draining: 3 calls arrive in second 0 and are all answered in second 1, with 2 answered from before.
        var (clock, hub) = NewHub();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        for (var i = 0; i < 3; i++)
        {
            hub.Arrived("svc");
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 5; i++)
        {
            hub.Record("svc", null, 200, false, TimeSpan.FromMilliseconds(900), 0, 0);
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        hub.Collect(clock.GetUtcNow(), NoGauges);
        var points = hub.Query("svc", null, Start, Start.AddSeconds(2), 1).Points;
        Assert.Equal([(3L, 0L), (0L, 5L)], points.Select(p => (p.Arrivals, p.Requests)));
        Assert.Equal(3, hub.Query("svc", null, Start, Start.AddSeconds(2), 2).Points[0].Arrivals);
    }

    [Fact]
    public void Calls_are_counted_in_the_second_they_end_in()
    {
        var (clock, hub) = NewHub();
        clock.Advance(TimeSpan.FromMilliseconds(100)); // 12:00:00.1
        for (var i = 1; i <= 10; i++)
        {
            hub.Record("echo", "echo-1-a", 200, false, TimeSpan.FromMilliseconds(i), 100, 50);
        }

        clock.Advance(TimeSpan.FromMilliseconds(800)); // 12:00:00.9
        hub.Record("echo", "echo-1-b", 500, false, TimeSpan.FromMilliseconds(100), 0, 0);
        hub.Record("echo", null, 401, true, TimeSpan.FromMilliseconds(1), 0, 0);
        clock.Advance(TimeSpan.FromMilliseconds(300)); // 12:00:01.2
        hub.Record("echo", "echo-1-a", 200, false, TimeSpan.FromMilliseconds(7), 0, 0);
        clock.Advance(TimeSpan.FromSeconds(1)); // 12:00:02.2
        hub.Collect(clock.GetUtcNow(), new Dictionary<string, SeriesGauges> { ["echo"] = new(3, 1, 2, 150, 1000) });

        var points = hub.Query("echo", null, Start, Start.AddSeconds(3), 1).Points;
        Assert.Equal([Start, Start.AddSeconds(1)], points.Select(p => p.Time));
        var first = points[0];
        Assert.Equal(12, first.Requests);
        Assert.Equal(12, first.Qps);
        Assert.Equal(10, first.Status2xx);
        Assert.Equal(1, first.Status4xx);
        Assert.Equal(1, first.Status5xx);
        Assert.Equal(1, first.Rejected);
        Assert.Equal(1000, first.BytesIn);
        Assert.Equal(500, first.BytesOut);
        Assert.InRange(first.P50Ms, 5 * 0.99, 6 * 1.01);
        Assert.InRange(first.MaxMs, 99, 101);
        Assert.Equal(1, points[1].Requests);
        Assert.InRange(points[1].P99Ms, 7 * 0.99, 7 * 1.01);
        Assert.Equal(3, points[1].InFlight);
        Assert.Equal(1, points[1].Waiting);
        Assert.Equal(2, points[1].Instances);
        Assert.Equal(150, points[1].CpuPercent);

        var instance = hub.Query("echo", "echo-1-a", Start, Start.AddSeconds(3), 1).Points;
        Assert.Equal([10L, 1L], instance.Select(p => p.Requests));
        Assert.Equal(1, hub.Query("echo", "echo-1-b", Start, Start.AddSeconds(3), 1).Points[0].Requests);
    }

    [Theory]
    [InlineData(50, 100, 49.5, 50.5)]
    [InlineData(90, 100, 89.1, 90.9)]
    [InlineData(99, 100, 98, 100)]
    public void Percentiles_follow_the_recorded_distribution(int percentile, int calls, double low, double high)
    {
        var (clock, hub) = NewHub();
        for (var i = 1; i <= calls; i++)
        {
            hub.Record("svc", null, 200, false, TimeSpan.FromMilliseconds(i), 0, 0);
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        hub.Collect(clock.GetUtcNow(), NoGauges);
        var point = hub.Query("svc", null, Start, Start.AddSeconds(1), 1).Points.Single();
        var value = percentile switch { 50 => point.P50Ms, 90 => point.P90Ms, _ => point.P99Ms };
        Assert.InRange(value, low, high);
        Assert.InRange(point.MeanMs, 50, 51);
    }

    [Fact]
    public void Quiet_seconds_are_points_with_zero_calls()
    {
        var (clock, hub) = NewHub();
        hub.Record("svc", null, 200, false, TimeSpan.FromMilliseconds(1), 0, 0);
        for (var i = 0; i < 5; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            hub.Collect(clock.GetUtcNow(), new Dictionary<string, SeriesGauges> { ["svc"] = default });
        }

        var points = hub.Query("svc", null, Start, Start.AddMinutes(1), 1).Points;
        Assert.Equal([1L, 0, 0, 0, 0], points.Select(p => p.Requests));
        Assert.Equal(0, points[^1].P99Ms);
    }

    [Fact]
    public void A_minute_is_closed_from_its_seconds_and_steps_aggregate()
    {
        var (clock, hub) = NewHub();
        for (var s = 0; s < 61; s++)
        {
            for (var i = 0; i < s % 3 + 1; i++)
            {
                hub.Record("svc", null, 200, false, TimeSpan.FromMilliseconds(10 + s), 0, 0);
            }

            clock.Advance(TimeSpan.FromSeconds(1));
            hub.Collect(clock.GetUtcNow(), new Dictionary<string, SeriesGauges> { ["svc"] = default });
        }

        var minute = hub.Query("svc", null, Start, Start.AddMinutes(1), 60).Points.Single();
        Assert.Equal(60, minute.Seconds);
        Assert.Equal(120, minute.Requests); // 1+2+3 per 3 seconds
        Assert.Equal(2, minute.Qps);
        Assert.InRange(minute.MaxMs, 69 * 0.99, 69 * 1.01);

        var tens = hub.Query("svc", null, Start, Start.AddSeconds(30), 10).Points;
        Assert.Equal(3, tens.Count);
        Assert.All(tens, p => Assert.Equal(10, p.Seconds));
        Assert.Equal(19, tens[0].Requests); // seconds 0..9: 1+2+3+1+2+3+1+2+3+1
    }

    [Fact]
    public void History_survives_a_restart()
    {
        var path = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.db");
        try
        {
            var (clock, hub) = NewHub(path);
            hub.Record("svc", "svc-1-a", 200, false, TimeSpan.FromMilliseconds(3), 0, 0);
            clock.Advance(TimeSpan.FromSeconds(2));
            hub.Collect(clock.GetUtcNow(), new Dictionary<string, SeriesGauges> { ["svc"] = default, ["svc/svc-1-a"] = default });
            hub.Flush();

            var again = new MetricsHub(clock, path);
            var points = again.Query("svc", null, Start, Start.AddMinutes(1), 1).Points;
            Assert.Equal(1, points.First().Requests);
            Assert.Equal(1, again.Query("svc", "svc-1-a", Start, Start.AddMinutes(1), 1).Points.First().Requests);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public void Totals_count_every_call_since_start()
    {
        var (_, hub) = NewHub();
        hub.Record("svc", null, 200, false, TimeSpan.FromMilliseconds(1), 0, 0);
        hub.Record("svc", null, 404, true, TimeSpan.FromMilliseconds(1), 0, 0);
        hub.Record("svc", null, 503, true, TimeSpan.FromMilliseconds(1), 0, 0);
        Assert.Equal((3L, 1L, 1L, 1L, 2L), hub.Totals("svc"));
        Assert.Equal(default, hub.Totals("other"));
    }
}
