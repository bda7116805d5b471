using System.Text.Json;
using OpenEas.Cli;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>The <c>eas</c> verbs against a real server, as a user types them.</summary>
public class CliTests
{
    private static Task<EasCli.Run> EasAsync(TestServer server, params string[] args) => EasCli.RunAsync(server, args);

    [Fact]
    public async Task A_service_is_managed_end_to_end_with_the_cli()
    {
        await using var server = await TestServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("openeas-cli-").FullName;
        try
        {
            // A spec next to its program, referring to it by a relative path (as examples/echo-py does).
            File.Copy(Repo.EchoApp, Path.Combine(dir, "app.py"));
            var specPath = Path.Combine(dir, "service.json");
            await File.WriteAllTextAsync(specPath, """
                { "name": "cli_echo", "containers": [{ "script": "python3 code/app.py" }],
                  "storage": [{ "mount_path": "/code", "local": { "path": "." } }],
                  "metadata": { "instance": 1, "cpu": 0.1, "memory": 64 } }
                """);

            var create = await EasAsync(server, "create", specPath, "--wait");
            Assert.True(create.Code == ExitCodes.Success, create.Err);
            Assert.Contains("/api/predict/cli_echo", create.Out);
            var token = (await server.Client.DescribeServiceAsync("cli_echo")).AccessToken;
            Assert.Contains(token, create.Out);
            Assert.Contains("Running", create.Out + create.Err);

            var ls = await EasAsync(server, "ls", "--json");
            Assert.Equal(ExitCodes.Success, ls.Code);
            var listed = JsonSerializer.Deserialize(ls.Out, EasJsonContext.Default.ListServiceDescription)!;
            Assert.Equal(ServiceStates.Running, Assert.Single(listed).Status);

            var predict = await EasAsync(server, "predict", "cli_echo", "-d", "hello from the cli");
            Assert.Equal(ExitCodes.Success, predict.Code);
            Assert.Equal("hello from the cli", predict.Out.Trim());

            var scale = await EasAsync(server, "scale", "cli_echo", "2", "--wait");
            Assert.True(scale.Code == ExitCodes.Success, scale.Err);
            var w = await EasAsync(server, "w", "cli_echo", "--json");
            Assert.Equal(2, JsonSerializer.Deserialize(w.Out, EasJsonContext.Default.ListInstanceInfo)!.Count);

            var modify = await EasAsync(server, "modify", "cli_echo", "-Dmetadata.cpu=0.2", "--wait");
            Assert.True(modify.Code == ExitCodes.Success, modify.Err);
            Assert.Contains("version 2", modify.Out);
            Assert.Equal(2, (await server.Client.DescribeServiceAsync("cli_echo")).CurrentVersion);

            var back = await EasAsync(server, "version", "cli_echo", "1", "--wait");
            Assert.True(back.Code == ExitCodes.Success, back.Err);
            Assert.Equal(1, (await server.Client.DescribeServiceAsync("cli_echo")).CurrentVersion);

            var events = await EasAsync(server, "events", "cli_echo");
            Assert.Contains("VersionSwitched", events.Out);

            var desc = await EasAsync(server, "desc", "cli_echo");
            Assert.Contains("CurrentVersion", desc.Out);
            Assert.Contains(token, desc.Out);

            var delete = await EasAsync(server, "delete", "cli_echo", "--yes");
            Assert.Equal(ExitCodes.Success, delete.Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Errors_are_one_readable_line_per_problem_with_a_named_exit_code()
    {
        await using var server = await TestServer.StartAsync();
        var spec = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(spec, """{ "name": "bad", "containers": [{ "script": "x", "port": 99999 }], "metadata": {"cpu": "lots"} }""");
        try
        {
            var invalid = await EasAsync(server, "create", spec);
            Assert.Equal(ExitCodes.InvalidSpec, invalid.Code);
            Assert.Contains("containers[0].port:", invalid.Err);
            Assert.Contains("metadata.cpu:", invalid.Err);
            Assert.DoesNotContain("   at ", invalid.Err);
        }
        finally
        {
            File.Delete(spec);
        }

        var missing = await EasAsync(server, "desc", "ghost");
        Assert.Equal(ExitCodes.NotFound, missing.Code);
        Assert.Single(missing.Err.Trim().Split('\n'));
        Assert.Contains("ghost", missing.Err);

        // predict looks the token up as a service, then as a group: a name that is neither is a missing service.
        var noService = await EasAsync(server, "predict", "ghost", "-d", "x");
        Assert.Equal(ExitCodes.NotFound, noService.Code);
        Assert.Equal("eas: service \"ghost\" not found (nor a service group of that name)", noService.Err.Trim());

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["ls", "--endpoint", server.Endpoint, "--token", "wrong"], stdout, stderr, new StringReader(""));
        Assert.Equal(ExitCodes.Unauthorized, code);
        Assert.Single(stderr.ToString().Trim().Split('\n'));
        Assert.DoesNotContain("   at ", stderr.ToString());
    }
}
