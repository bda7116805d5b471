using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenEas.Cli;
using OpenEas.Contracts;
using OpenEas.Core.Scaling;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class CronScaleTests
{
    /// <summary>
    /// A server on a fake clock with one service too big to place: nothing runs, so the fake clock stalls nothing; the
    /// desired count is what is checked.
    /// </summary>
    private static async Task<(FakeTimeProvider Clock, TestServer Server, AutoscalerService Autoscaler)> StartWithServiceAsync(DateTimeOffset now, string service)
    {
        var clock = new FakeTimeProvider(now);
        var server = await TestServer.StartAsync(configure: o => o.Time = clock);
        await server.Client.CreateServiceAsync(TestServer.EchoSpec(service, instances: 1, cpu: 64));
        return (clock, server, server.Server.Services.GetRequiredService<AutoscalerService>());
    }

    [Fact]
    public async Task A_cron_job_raises_the_instance_count_when_it_fires_on_the_server_clock()
    {
        var (clock, server, autoscaler) = await StartWithServiceAsync(new DateTimeOffset(2026, 6, 3, 9, 59, 58, TimeSpan.Zero), "nightly"); // 17:59:58 in Shanghai
        await using var _ = server;
        var bad = await Assert.ThrowsAsync<OpenEas.Client.EasApiException>(() =>
            server.Client.SetCronScalerAsync("nightly", """{"ScaleJobs": [{"Schedule": "0 18 * * *", "TargetSize": 3}]}"""));
        Assert.Contains(bad.Errors, e => e.Path == "ScaleJobs[0].Schedule");

        await server.Client.SetCronScalerAsync("nightly", """
            {"ScaleJobs": [{"Name": "evening", "Schedule": "0 0 18 * * *", "TargetSize": 3, "TimeZone": "Asia/Shanghai"}]}
            """);
        Assert.Equal("api", (await server.Client.GetCronScalerAsync("nightly"))["source"]!.GetValue<string>());

        autoscaler.DecideOnce();
        Assert.Equal(1, (await server.Client.DescribeServiceAsync("nightly")).DesiredInstance);

        clock.Advance(TimeSpan.FromSeconds(3)); // 18:00:01 in Shanghai
        autoscaler.DecideOnce();
        Assert.Equal(3, (await server.Client.DescribeServiceAsync("nightly")).DesiredInstance);
        var scaled = Assert.Single(await server.Client.ListEventsAsync("nightly", 100), e => e.Reason == "CronScaled");
        Assert.Contains("cron job evening", scaled.Message, StringComparison.Ordinal);

        // Fired once: a manual change afterwards holds until the next firing.
        await server.Client.ScaleServiceAsync("nightly", 2);
        clock.Advance(TimeSpan.FromMinutes(5));
        autoscaler.DecideOnce();
        Assert.Equal(2, (await server.Client.DescribeServiceAsync("nightly")).DesiredInstance);

        await server.Client.DisableCronScalerAsync("nightly");
        Assert.Equal("none", (await server.Client.GetCronScalerAsync("nightly"))["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_cli_sets_a_schedule_from_EASCMD_fields_and_names_what_is_wrong()
    {
        var (clock, server, autoscaler) = await StartWithServiceAsync(new DateTimeOffset(2026, 6, 3, 0, 59, 58, TimeSpan.Zero), "daily"); // 08:59:58 in Shanghai
        await using var _ = server;

        var set = await EasCli.RunAsync(server, ["cronscale", "daily", "-Dschedules=0 0 9 * * *;0 0 21 * * *", "-Dtarget_size=4;1",
            "-Dtime_zone=Asia/Shanghai", "-Dexclude_dates=* * * 25 12 *"]);
        Assert.True(set.Code == ExitCodes.Success, set.Err);
        var jobs = (await server.Client.GetCronScalerAsync("daily"))["cronscaler"]!["ScaleJobs"]!.AsArray();
        Assert.Equal(["0 0 9 * * *", "0 0 21 * * *"], jobs.Select(j => j!["Schedule"]!.GetValue<string>()));
        Assert.Equal([4, 1], jobs.Select(j => j!["TargetSize"]!.GetValue<int>()));
        var scaling = (await server.Client.DescribeServiceAsync("daily")).Scaling!;
        Assert.Equal(["schedule1 \"0 0 9 * * *\" → 4 (Asia/Shanghai)", "schedule2 \"0 0 21 * * *\" → 1 (Asia/Shanghai)"], scaling.ScheduledJobs);
        Assert.Equal("schedule1 → 4 at 2026-06-03T01:00:00Z", scaling.NextScheduled);

        autoscaler.DecideOnce(); // the schedule acts on firings from now on (yesterday's 21:00 is not replayed)
        Assert.Equal(1, (await server.Client.DescribeServiceAsync("daily")).DesiredInstance);
        clock.Advance(TimeSpan.FromSeconds(3)); // 09:00:01 in Shanghai
        autoscaler.DecideOnce();
        Assert.Equal(4, (await server.Client.DescribeServiceAsync("daily")).DesiredInstance);

        // A five-field schedule is refused by the server with the job's path; a size per schedule that does not add up, by the CLI.
        var fiveFields = await EasCli.RunAsync(server, ["cronscale", "daily", "-Dschedules=0 9 * * *", "-Dtarget_size=2"]);
        Assert.Equal(ExitCodes.InvalidSpec, fiveFields.Code);
        Assert.Contains("ScaleJobs[0].Schedule", fiveFields.Err, StringComparison.Ordinal);
        var sizes = await EasCli.RunAsync(server, ["cronscale", "daily", "-Dschedules=0 0 9 * * *;0 0 21 * * *", "-Dtarget_size=1;2;3"]);
        Assert.Equal(ExitCodes.Usage, sizes.Code);
        Assert.Equal("eas: -Dtarget_size: 3 size(s) for 2 schedule(s); give one size for all or one per schedule", sizes.Err.Trim());
        Assert.Equal(2, (await server.Client.GetCronScalerAsync("daily"))["cronscaler"]!["ScaleJobs"]!.AsArray().Count);
    }
}
