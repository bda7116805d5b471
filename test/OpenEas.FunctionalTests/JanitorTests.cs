using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class JanitorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_service_not_running_for_180_days_is_warned_about_then_deleted()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(configure: o => o.Time = clock);
        var janitor = server.Server.Services.GetRequiredService<Core.Janitor.Janitor>();

        // Services with no instances, so the fake clock stops nothing that runs.
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("forgotten", instances: 0));
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("revived", instances: 0));
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("busy", instances: 0));
        await server.WaitForStatusAsync("busy", ServiceStates.Running);
        await server.Client.StopServiceAsync("forgotten");
        await server.Client.StopServiceAsync("revived");
        await server.WaitForStatusAsync("forgotten", ServiceStates.Stopped);
        await server.WaitForStatusAsync("revived", ServiceStates.Stopped);

        clock.Advance(TimeSpan.FromDays(172));
        Assert.Empty(janitor.Sweep());
        Assert.DoesNotContain(await server.Client.ListEventsAsync("forgotten"), e => e.Reason == "JanitorWarning");

        clock.Advance(TimeSpan.FromDays(2));
        Assert.Empty(janitor.Sweep());
        var warning = Assert.Single(await server.Client.ListEventsAsync("forgotten"), e => e.Reason == "JanitorWarning");
        Assert.Equal("Warning", warning.Type);
        Assert.Contains("will be deleted automatically at 2026-06-30", warning.Message);
        Assert.Single(await server.Client.ListEventsAsync("revived"), e => e.Reason == "JanitorWarning");
        Assert.Empty(janitor.Sweep()); // warned once, not every sweep
        Assert.Single(await server.Client.ListEventsAsync("forgotten"), e => e.Reason == "JanitorWarning");

        // Starting a service resets its clock.
        await server.Client.StartServiceAsync("revived");
        await server.WaitForStatusAsync("revived", ServiceStates.Running);

        // The janitor's own hourly sweep may get there first; either way it is deleted.
        clock.Advance(TimeSpan.FromDays(6));
        janitor.Sweep();
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await server.Client.DescribeServiceAsync("forgotten");
                return false;
            }
            catch (EasApiException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                return true;
            }
        }, gone => gone, Wait, "forgotten to be deleted");

        var left = (await server.Client.ListServicesAsync()).Select(s => s.ServiceName).Order().ToList();
        Assert.Equal(["busy", "revived"], left);

        clock.Advance(TimeSpan.FromDays(400));
        Assert.Empty(janitor.Sweep());
    }
}
