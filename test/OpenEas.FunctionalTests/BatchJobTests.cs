using System.Globalization;
using System.Text.Json;
using OpenEas.Cli;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>Batch jobs: every input item through a service into an output directory, surviving a server crash.</summary>
public class BatchJobTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(240);

    private static string Worker => Path.Combine(AppContext.BaseDirectory, "Programs", "queue_worker.py");

    // Each item takes WORK_MS, so a job over 1000 items lasts seconds even on a fast idle machine and a kill lands halfway.
    private static string SyncWorkerSpec(string name, int instances, string callLog, int workMs = 0) => $$"""
        {
          "name": "{{name}}",
          "containers": [{ "script": "exec python3 {{Worker}}", "env": [{ "name": "CALL_LOG", "value": "{{callLog}}" }, { "name": "WORK_MS", "value": "{{workMs}}" }] }],
          "metadata": { "instance": {{instances}}, "cpu": 0.1, "memory": 64 }
        }
        """;

    [Fact]
    public async Task A_1000_file_batch_job_killed_halfway_resumes_without_redoing_finished_items_and_lists_failures()
    {
        var root = TestServer.NewDataDir();
        var dataDir = Path.Combine(root, "data");
        var input = Path.Combine(root, "in");
        var output = Path.Combine(root, "out");
        var callLog = Path.Combine(root, "calls.log");
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        for (var i = 0; i < 1000; i++)
        {
            // Some in a sub-directory: results keep the relative names.
            var name = i % 10 == 0 ? Path.Combine("sub", $"f{i:D4}.txt") : $"f{i:D4}.txt";
            await File.WriteAllTextAsync(Path.Combine(input, name), "item-" + i.ToString(CultureInfo.InvariantCulture));
        }

        await File.WriteAllTextAsync(Path.Combine(input, "bad-1.txt"), "fail-1");
        await File.WriteAllTextAsync(Path.Combine(input, "bad-2.txt"), "fail-2");
        const string admin = "batch-admin-token-0123456789";
        try
        {
            string jobId;
            HashSet<string> doneAtKill;
            await using (var first = await ServerProcess.StartAsync(dataDir, admin))
            {
                using var client = new EasClient(first.Endpoint, admin);
                await client.CreateServiceAsync(SyncWorkerSpec("batchsvc", 2, callLog, workMs: 25));
                await Poll.UntilAsync(() => client.DescribeServiceAsync("batchsvc"), d => d.RunningInstance == 2, Long, "2 running");

                var job = await client.CreateJobAsync(new JobRequest { Kind = "batch", Service = "batchsvc", Input = input, Output = output });
                Assert.Equal(1002, job.Batch!.Total);
                jobId = job.Id;

                await Poll.UntilAsync(() => client.GetJobAsync(jobId), j => j.Batch!.Done >= 400 || j.State != JobStates.Running, Long, "400 items done");
                await first.KillHardAsync();
                doneAtKill = [.. Results(output)];
            }

            Assert.InRange(doneAtKill.Count, 400, 999);
            await using var second = await ServerProcess.StartAsync(dataDir, admin);
            using var again = new EasClient(second.Endpoint, admin);
            var finished = await Poll.UntilAsync(() => again.GetJobAsync(jobId), j => j.State != JobStates.Running, Long, "the job to finish");

            // 1000 results, 2 failures listed with their errors; the job says it was resumed.
            Assert.Equal(JobStates.Failed, finished.State);
            Assert.True(finished.Batch!.Done == 1000, string.Join("; ", finished.Batch.FailedItems.Select(f => f.Item + ": " + f.Error)));
            Assert.Equal(2, finished.Batch.Failed);
            Assert.Equal(1, finished.Batch.Resumes);
            Assert.Equal(["bad-1.txt", "bad-2.txt"], finished.Batch.FailedItems.Select(f => f.Item).Order());
            Assert.All(finished.Batch.FailedItems, f => Assert.Contains("500", f.Error, StringComparison.Ordinal));
            var results = Results(output).ToList();
            Assert.Equal(1000, results.Count);
            foreach (var name in results)
            {
                var i = int.Parse(Path.GetFileNameWithoutExtension(name)[1..], CultureInfo.InvariantCulture);
                Assert.Equal("done:item-" + i.ToString(CultureInfo.InvariantCulture), await File.ReadAllTextAsync(Path.Combine(output, name)));
            }

            using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "manifest.json"))))
            {
                Assert.Equal(1000, manifest.RootElement.GetProperty("results").GetArrayLength());
                Assert.Equal(2, manifest.RootElement.GetProperty("failedItems").GetArrayLength());
            }

            // Finished items were not sent again after the resume.
            var calls = (await File.ReadAllLinesAsync(callLog)).Where(l => l.StartsWith("item-", StringComparison.Ordinal))
                .GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
            foreach (var name in doneAtKill)
            {
                var i = int.Parse(Path.GetFileNameWithoutExtension(name)[1..], CultureInfo.InvariantCulture);
                Assert.Equal(1, calls["item-" + i.ToString(CultureInfo.InvariantCulture)]);
            }

            // eas job desc shows the failed items.
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Assert.Equal(0, await CliApp.RunAsync(["job", "desc", jobId, "--endpoint", second.Endpoint, "--admin-token", admin], stdout, stderr, new StringReader("")));
            Assert.Contains("bad-1.txt", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("1000/1002 done, 2 failed", stdout.ToString(), StringComparison.Ordinal);
            Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
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

            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Eas_job_create_runs_a_JSONL_input_on_a_service_it_creates_and_deletes_with_a_progress_bar()
    {
        await using var server = await TestServer.StartAsync();
        var dir = Path.Combine(server.DataDir, "work");
        Directory.CreateDirectory(dir);
        await File.WriteAllLinesAsync(Path.Combine(dir, "items.jsonl"), ["{\"n\":1}", "{\"n\":2}", "", "{\"n\":3}"]);
        var spec = new
        {
            kind = "batch",
            input = Path.Combine(dir, "items.jsonl"),
            output = Path.Combine(dir, "results"),
            instances = 1,
            serviceSpec = JsonDocument.Parse(SyncWorkerSpec("jobsvc", 3, Path.Combine(dir, "calls.log"))).RootElement,
        };
        var specPath = Path.Combine(dir, "job.json");
        await File.WriteAllTextAsync(specPath, JsonSerializer.Serialize(spec));

        var run = await EasCli.RunAsync(server, "job", "create", specPath);
        Assert.True(run.Code == 0, run.Err + run.Out);
        Assert.Contains("] 3/3 done, 0 failed", run.Out, StringComparison.Ordinal);
        Assert.Contains("Succeeded", run.Out, StringComparison.Ordinal);
        Assert.Equal("done:{\"n\":2}", await File.ReadAllTextAsync(Path.Combine(dir, "results", "line-000002")));
        Assert.Equal("done:{\"n\":3}", await File.ReadAllTextAsync(Path.Combine(dir, "results", "line-000004")));

        // The service made for the job is gone; a bad job names its field.
        await Poll.UntilAsync(async () => (await server.Client.ListServicesAsync()).Count, n => n == 0, Long, "the job's service deleted");
        await File.WriteAllTextAsync(specPath, """{ "kind": "batch", "input": "/nonexistent/dir", "output": "/tmp/x", "service": "s" }""");
        var bad = await EasCli.RunAsync(server, "job", "create", specPath);
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("input:", bad.Err, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Results(string output) =>
        Directory.Exists(output)
            ? Directory.EnumerateFiles(output, "f*.txt", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f))
            : [];
}
