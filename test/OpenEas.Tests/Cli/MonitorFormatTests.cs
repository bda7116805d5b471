using OpenEas.Cli.Output;
using OpenEas.Contracts;

namespace OpenEas.Tests.Cli;

public class MonitorFormatTests
{
    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(512, "512 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1.0 KiB")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1024 * 1024 - 1, "1.0 MiB")]
    [InlineData(25_270_272, "24.1 MiB")]
    [InlineData(3L * 1024 * 1024 * 1024, "3.0 GiB")]
    [InlineData(long.MaxValue, "8.0 EiB")]
    public void Bytes_are_shown_in_binary_units(long bytes, string expected) => Assert.Equal(expected, Format.Bytes(bytes));

    [Fact]
    public void Bytes_can_be_written_without_a_space_for_key_value_lines() => Assert.Equal("24.1MiB", Format.Bytes(25_270_272, ""));

    [Theory]
    [InlineData(0, "0")]
    [InlineData(0.1234, "0.123")]
    [InlineData(1.216, "1.22")]
    [InlineData(12.34, "12.3")]
    [InlineData(1234.4, "1234")]
    public void Milliseconds_keep_about_three_significant_digits(double ms, string expected) => Assert.Equal(expected, Format.Millis(ms));

    [Fact]
    public void A_sparkline_scales_to_the_largest_value_and_keeps_zero_apart_from_small()
    {
        Assert.Equal("▁▂▅█", Sparkline.Render([0, 1, 50, 100]));
        Assert.Equal("▁▁▁", Sparkline.Render([0, 0, 0]));
        Assert.Equal("██", Sparkline.Render([3, 3]));
        Assert.Equal("▁█", Sparkline.Render([double.NaN, 2]));
        Assert.Equal("", Sparkline.Render([]));
    }

    [Fact]
    public void A_window_puts_each_point_in_its_second_and_leaves_gaps_at_zero()
    {
        var end = DateTimeOffset.FromUnixTimeSeconds(1_000);
        MetricPoint[] points =
        [
            new() { Time = end.AddSeconds(-10), Qps = 7 }, // before the window
            new() { Time = end.AddSeconds(-3), Qps = 1 },
            new() { Time = end.AddSeconds(-1), Qps = 2 },
            new() { Time = end, Qps = 3 },
        ];

        Assert.Equal([0, 1, 0, 2, 3], Sparkline.Window(points, end, 5, p => p.Qps));
    }

    [Fact]
    public void Top_puts_the_busiest_service_first_and_keeps_services_without_data()
    {
        ServiceDescription[] services =
        [
            new() { ServiceName = "idle", Status = "Stopped" },
            new() { ServiceName = "busy", Status = "Running", RunningInstance = 2, TotalInstance = 2 },
            new() { ServiceName = "calm", Status = "Running", RunningInstance = 1, TotalInstance = 1 },
        ];
        MetricSeries[] latest =
        [
            new() { Service = "calm", Points = [new() { Qps = 3, Status5xx = 1 }] },
            new() { Service = "busy", Points = [new() { Qps = 40, Status4xx = 2, Status5xx = 1, P99Ms = 12.5, MemoryBytes = 2048 }] },
            new() { Service = "gone", Points = [new() { Qps = 99 }] },
        ];

        var rows = MonitorView.TopRows(services, latest);

        Assert.Equal(["busy", "calm", "idle"], rows.Select(r => r.Name));
        Assert.Equal("2/2", rows[0].Instances);
        Assert.Equal(3, rows[0].ErrorsPerSecond);
        Assert.Null(rows[2].Latest);
        var line = MonitorView.Line(DateTimeOffset.UnixEpoch, rows[0]);
        Assert.EndsWith("busy Running instances=2/2 qps=40 p99=12.5ms errors/s=3 cpu=0% mem=2.0KiB", line, StringComparison.Ordinal);
        Assert.EndsWith("idle Stopped instances=0/0 qps=0 p99=- errors/s=0 cpu=- mem=-", MonitorView.Line(DateTimeOffset.UnixEpoch, rows[2]),
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_monitor_line_is_key_value_readings_of_the_newest_second()
    {
        var p = new MetricPoint
        {
            Time = DateTimeOffset.FromUnixTimeSeconds(1_000), Qps = 12, P50Ms = 1.2, P90Ms = 2, P99Ms = 3.14159, MaxMs = 4, Status4xx = 1,
            Rejected = 1, InFlight = 2, Instances = 1, CpuPercent = 3.24, MemoryBytes = 25_270_272,
        };

        var line = MonitorView.Line("echo", null, p);

        Assert.EndsWith(
            " echo qps=12 p50=1.2ms p90=2ms p99=3.14ms max=4ms 4xx=1 5xx=0 rejected=1 inflight=2 waiting=0 instances=1 cpu=3.2% mem=24.1MiB",
            line, StringComparison.Ordinal);
        Assert.Equal("- echo/i-1 no data yet", MonitorView.Line("echo", "i-1", null));
    }
}
