using OpenEas.Core.Scaling;

namespace OpenEas.Tests.Scaling;

public class CronScalerTests
{
    private const string Schedule = """
        {"ScaleJobs": [
            {"Name": "evening", "Schedule": "0 0 18 * * *", "TargetSize": 5, "TimeZone": "Asia/Shanghai"},
            {"Name": "night",   "Schedule": "0 0 22 * * *", "TargetSize": 1, "TimeZone": "Asia/Shanghai"}],
         "ExcludeDates": ["* * * * * 0,6"]}
        """;

    private static CronScalerSpec Spec()
    {
        var spec = CronScaler.Parse(Schedule, out var errors);
        Assert.Empty(errors);
        return spec!;
    }

    [Theory]
    // 2026-06-03 is a Wednesday; Shanghai is UTC+8, so 18:00 there is 10:00 UTC.
    [InlineData("2026-06-03T09:59:59Z", 1, "night")]   // before 18:00: last night's job
    [InlineData("2026-06-03T10:00:00Z", 5, "evening")] // 18:00 Shanghai
    [InlineData("2026-06-03T13:59:59Z", 5, "evening")]
    [InlineData("2026-06-03T14:00:00Z", 1, "night")]   // 22:00 Shanghai
    [InlineData("2026-06-06T10:30:00Z", 1, "night")]   // Saturday: the evening job does not fire; Friday night's holds
    public void The_floor_is_the_target_of_the_job_that_fired_last(string now, int floor, string job)
    {
        var result = CronScaler.Floor(Spec(), DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotNull(result);
        Assert.Equal((floor, job), (result.Value.Floor, result.Value.Job));
    }

    [Theory]
    [InlineData("2026-06-03T09:59:59Z", "evening", 5, "2026-06-03T10:00:00Z")]
    [InlineData("2026-06-03T10:00:00Z", "night", 1, "2026-06-03T14:00:00Z")]   // a job firing now is not next
    [InlineData("2026-06-05T14:00:00Z", "evening", 5, "2026-06-08T10:00:00Z")] // Friday 22:00 done: the weekend is excluded, Monday 18:00
    public void The_next_firing_skips_excluded_days(string now, string job, int size, string at)
    {
        var next = CronScaler.Next(Spec(), DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((job, size, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)), next);
    }

    [Fact]
    public void Before_any_job_fired_there_is_no_floor()
    {
        var spec = CronScaler.Parse("""{"ScaleJobs": [{"Name": "once", "Schedule": "0 0 12 1 1 *", "TargetSize": 3}]}""", out _)!;
        Assert.Null(CronScaler.Floor(spec, new DateTimeOffset(2026, 6, 3, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(3, CronScaler.Floor(spec, new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero))!.Value.Floor);
    }

    [Theory]
    [InlineData("""{"ScaleJobs": [{"Schedule": "0 18 * * *", "TargetSize": 2}]}""", "ScaleJobs[0].Schedule")]
    [InlineData("""{"ScaleJobs": [{"Schedule": "0 0 18 * * *", "TargetSize": 2, "TimeZone": "Mars/Olympus"}]}""", "ScaleJobs[0].TimeZone")]
    [InlineData("""{"ScaleJobs": [{"Schedule": "0 0 18 * * *"}]}""", "ScaleJobs[0].TargetSize")]
    [InlineData("""{"ScaleJobs": []}""", "ScaleJobs")]
    [InlineData("""{"ScaleJobs": [{"Schedule": "0 0 18 * * *", "TargetSize": 2}], "ExcludeDates": ["nope"]}""", "ExcludeDates[0]")]
    [InlineData("[1]", "")]
    public void A_bad_schedule_names_its_path(string json, string path)
    {
        Assert.Null(CronScaler.Parse(json, out var errors));
        Assert.Contains(errors, e => e.Path == path);
    }
}
