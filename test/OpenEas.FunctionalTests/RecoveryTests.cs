using System.Net;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class RecoveryTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task After_kill_9_of_the_server_a_restart_restores_every_service_without_orphans()
    {
        var dataDir = TestServer.NewDataDir();
        const string admin = "recovery-admin-token-0123456789";
        try
        {
            List<int> alphaPids;
            int betaPid;
            await using (var first = await ServerProcess.StartAsync(dataDir, admin))
            {
                using var client = new EasClient(first.Endpoint, admin);
                await client.CreateServiceAsync(TestServer.EchoSpec("alpha", instances: 2));
                await client.CreateServiceAsync(TestServer.EchoSpec("beta"));
                await client.CreateServiceAsync(TestServer.EchoSpec("gamma"));
                await WaitRunningAsync(client, "alpha", 2);
                await WaitRunningAsync(client, "beta", 1);
                await WaitRunningAsync(client, "gamma", 1);
                await client.StopServiceAsync("gamma");
                await Poll.UntilAsync(() => client.DescribeServiceAsync("gamma"), d => d.Status == ServiceStates.Stopped, Long, "gamma stopped");

                alphaPids = [.. (await client.ListInstancesAsync("alpha")).Select(i => i.Pid!.Value).Order()];

                // The server's own settings do not leak into instances.
                var environ = await File.ReadAllTextAsync($"/proc/{alphaPids[0]}/environ");
                Assert.DoesNotContain("EAS_ADMIN_TOKEN=", environ);
                Assert.Contains("EAS_SERVICE_NAME=alpha", environ);
                betaPid = (await client.ListInstancesAsync("beta")).Single().Pid!.Value;

                await first.KillHardAsync();
            }

            // While the server is down, its instances keep running; one of them dies too.
            Assert.All(alphaPids, pid => Assert.True(Processes.Alive(pid)));
            using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", "--", "-" + betaPid]))
            {
                await kill.WaitForExitAsync();
            }

            await Poll.UntilAsync(() => !Processes.Alive(betaPid), Long, "beta's instance to die");

            await using var second = await ServerProcess.StartAsync(dataDir, admin);
            using var again = new EasClient(second.Endpoint, admin);

            // alpha's live instances are adopted, not restarted.
            await WaitRunningAsync(again, "alpha", 2);
            Assert.Equal(alphaPids, (await again.ListInstancesAsync("alpha")).Select(i => i.Pid!.Value).Order());

            // beta's dead instance is replaced.
            await WaitRunningAsync(again, "beta", 1);
            Assert.NotEqual(betaPid, (await again.ListInstancesAsync("beta")).Single().Pid);

            // gamma stays stopped, as it was left.
            Assert.Equal(ServiceStates.Stopped, (await again.DescribeServiceAsync("gamma")).Status);

            foreach (var name in new[] { "alpha", "beta" })
            {
                var token = (await again.DescribeServiceAsync(name)).AccessToken;
                var answer = await again.PredictAsync(name, token, "after restart"u8.ToArray());
                Assert.Equal(HttpStatusCode.OK, answer.Status);
                Assert.Equal("after restart", answer.BodyText);
            }

            // Exactly the instances the server knows are running: nothing orphaned.
            Assert.Equal(3, Processes.OfDataDir(dataDir).Count);
            Assert.Contains(await again.ListEventsAsync("alpha"), e => e.Reason == "InstanceAdopted");

            // A clean stop takes every instance with it.
            Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
            await Poll.UntilAsync(() => Processes.OfDataDir(dataDir).Count == 0, Long, "no instance left after a clean stop");
        }
        finally
        {
            foreach (var pid in Processes.OfDataDir(dataDir))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                }
            }

            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static Task<ServiceDescription> WaitRunningAsync(EasClient client, string name, int running) =>
        Poll.UntilAsync(() => client.DescribeServiceAsync(name), d => d.Status == ServiceStates.Running && d.RunningInstance == running,
            Long, $"{name} Running with {running}");
}
