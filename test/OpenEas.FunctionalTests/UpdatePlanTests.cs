using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>Update plans: a rolling update in batches, pausing between them, with no failed call.</summary>
public class UpdatePlanTests
{
    [Fact]
    public async Task A_rolling_update_goes_in_batches_and_pauses_between_them()
    {
        await using var server = await TestServer.StartAsync();
        var spec = ReleaseApp.Spec("plan", "1").Replace("\"instance\": 1", "\"instance\": 3, \"rolling_strategy\": { \"batches\": 3, \"pause_seconds\": 3 }",
            StringComparison.Ordinal);
        var created = await server.Client.CreateServiceAsync(spec);
        await server.WaitForStatusAsync("plan", ServiceStates.Running, 3);

        await using var traffic = new Traffic(server.Client, "plan", created.AccessToken, concurrency: 2);
        await server.Client.ModifyServiceAsync("plan", $$"""{ "containers": {{ReleaseApp.Containers("2")}} }""");

        // During the first pause: one instance on the new version, two on the old, all serving.
        var mixed = await Poll.UntilAsync(() => server.Client.ListInstancesAsync("plan"),
            list => list.Count(i => i.Ready && i.Version == 2) == 1 && list.Count(i => i.Ready && i.Version == 1) == 2,
            TimeSpan.FromSeconds(60), "the first batch");
        Assert.Equal(3, mixed.Count(i => i.Ready));
        await server.WaitForStatusAsync("plan", ServiceStates.Running, 3, seconds: 120);
        await Poll.UntilAsync(() => server.Client.ListInstancesAsync("plan"), list => list.Count == 3 && list.All(i => i.Version == 2),
            TimeSpan.FromSeconds(60), "every instance on version 2");
        await traffic.StopAsync();

        Assert.Empty(traffic.Failures);
        var batches = (await server.Client.ListEventsAsync("plan")).Where(e => e.Reason == "UpdateBatch").Select(e => e.Message).ToList();
        Assert.Equal(3, batches.Count);
        Assert.Contains("batch 1/3, up to 1 of 3", batches[0]);
        Assert.Contains("batch 3/3, up to 3 of 3", batches[2]);
    }
}
