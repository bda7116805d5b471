using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenEas.FunctionalTests.Infrastructure;
using OpenEas.TestModels;

namespace OpenEas.FunctionalTests;

/// <summary>Where processors come from: remote models through the shared model cache, oss://, and custom processor assemblies.</summary>
public sealed class ProcessorSourceTests
{
    private const string Row = "{\"inputs\": {\"x\": [[0.5, -1, 0.25, 1, 0, 0.5, -1, 0.25, 1, 0, 0.5, -1, 0.25, 1, 0, 2]]}}";

    [Fact]
    public async Task Http_model_is_downloaded_once_into_the_cache_and_oss_models_resolve_in_the_data_dir()
    {
        var model = Path.Combine(TestServer.NewDataDir(), "mlp.onnx");
        MlpModel.Write(model);
        var downloads = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var files = builder.Build();
        files.MapGet("/models/mlp.onnx", async ctx =>
        {
            Interlocked.Increment(ref downloads);
            await ctx.Response.SendFileAsync(model);
        });
        await files.StartAsync();
        var url = files.Urls.First() + "/models/mlp.onnx";

        await using var server = await TestServer.StartAsync();
        var oss = Path.Combine(server.DataDir, "oss", "bucket", "models");
        Directory.CreateDirectory(oss);
        File.Copy(model, Path.Combine(oss, "mlp.onnx"));
        await server.Client.CreateServiceAsync(Spec("remote", url, instances: 2));
        await server.Client.CreateServiceAsync(Spec("fromoss", "oss://bucket/models/mlp.onnx", instances: 1));
        await server.WaitForStatusAsync("remote", "Running", running: 2, seconds: 120);
        await server.WaitForStatusAsync("fromoss", "Running", running: 1, seconds: 120);
        Assert.Equal(1, downloads);

        var remote = await server.PredictAsync("remote", Row);
        var fromOss = await server.PredictAsync("fromoss", Row);
        Assert.True(remote.IsSuccess, remote.BodyText);
        Assert.Equal(remote.BodyText, fromOss.BodyText);

        // A restart finds the model in the cache.
        await server.Client.StopServiceAsync("remote");
        await server.WaitForStatusAsync("remote", "Stopped", seconds: 60);
        await server.Client.StartServiceAsync("remote");
        await server.WaitForStatusAsync("remote", "Running", running: 2, seconds: 120);
        Assert.Equal(1, downloads);
        Assert.True((await server.PredictAsync("remote", Row)).IsSuccess);
        Assert.Single(Directory.GetDirectories(Path.Combine(server.DataDir, "models", "sha256")));
        Assert.Contains("from the cache", await server.Client.GetLogsAsync("remote"), StringComparison.Ordinal);
        await files.StopAsync();
    }

    [Fact]
    public async Task Custom_processor_runs_in_the_host_with_batching()
    {
        var output = TestServer.NewDataDir();
        await BuildAsync(Path.Combine(Repo.Root, "examples", "custom-processor"), output);
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync($$"""
            {
              "name": "textstats",
              "processor_path": "{{Path.Combine(output, "TextStats.dll")}}",
              "processor_entry": "TextStats.TextStatsProcessor",
              "processor_type": "csharp",
              "model_config": { "stop_words": ["a", "the"] },
              "metadata": { "instance": 1, "cpu": 1, "memory": 256,
                            "rpc": { "batching": true, "max_batch_size": 8, "max_batch_timeout": 1000 } }
            }
            """);
        await server.WaitForStatusAsync("textstats", "Running", running: 1, seconds: 120);

        var one = await server.PredictAsync("textstats", "the quick brown fox");
        Assert.True(one.IsSuccess, one.BodyText);
        using (var doc = JsonDocument.Parse(one.Body))
        {
            Assert.Equal(3, doc.RootElement.GetProperty("words").GetInt32());
            Assert.Equal("QUICK BROWN FOX", doc.RootElement.GetProperty("upper").GetString());
        }

        var token = (await server.Client.DescribeServiceAsync("textstats")).AccessToken;
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            server.Client.PredictAsync("textstats", token, Encoding.UTF8.GetBytes($"caller {i} says hi"))));
        var batches = new List<int>();
        for (var i = 0; i < answers.Length; i++)
        {
            using var doc = JsonDocument.Parse(answers[i].Body);
            Assert.Equal($"CALLER {i} SAYS HI", doc.RootElement.GetProperty("upper").GetString());
            batches.Add(doc.RootElement.GetProperty("batch").GetInt32());
        }

        Assert.Contains(batches, b => b > 1);

        var bad = await server.Client.PredictAsync("textstats", token, new byte[] { 0xff, 0xfe, 0xfd });
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("UTF-8", bad.BodyText, StringComparison.Ordinal);
        Directory.Delete(output, recursive: true);
    }

    [Fact]
    public async Task Unknown_builtin_processor_and_relative_model_path_are_spec_errors_naming_the_field()
    {
        await using var server = await TestServer.StartAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => server.Client.CreateServiceAsync(
            """{ "name": "bad", "processor": "tensorflow", "model_path": "models/m.onnx", "metadata": { "instance": 1 } }"""));
        Assert.Contains("processor", error.Message, StringComparison.Ordinal);
        Assert.Contains("model_path", error.Message, StringComparison.Ordinal);
    }

    private static string Spec(string name, string modelPath, int instances) => $$"""
        { "name": "{{name}}", "processor": "onnx", "model_path": "{{modelPath}}",
          "metadata": { "instance": {{instances}}, "cpu": 1, "memory": 256 } }
        """;

    private static async Task BuildAsync(string project, string output)
    {
        var psi = new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "-o", output, "--nologo", "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var build = Process.Start(psi)!;
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        Assert.True(build.ExitCode == 0, await stdout + await stderr);
    }
}
