using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenEas.Contracts;
using OpenEas.Core.Scaling;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class CronScaleTests
{
    [Fact]
    public async Task A_cron_job_raises_the_instance_count_when_it_fires_on_the_server_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 3, 9, 59, 58, TimeSpan.Zero)); // 17:59:58 in Shanghai
        await using var server = await TestServer.StartAsync(configure: o => o.Time = clock);
        var autoscaler = server.Server.Services.GetRequiredService<AutoscalerService>();

        // Too big to place: nothing runs, so the fake clock stalls nothing; the desired count is what is checked.
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("nightly", instances: 1, cpu: 64));
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
}
