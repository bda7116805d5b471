using OpenEas.Cli;
using OpenEas.Cli.Commands;

namespace OpenEas.Tests.Cli;

public class ServerCommandTests
{
    [Fact]
    public async Task Server_options_reach_the_runner_and_without_one_it_says_so()
    {
        ServerCommandOptions? seen = null;
        ServerCommand.ServerRunner = (options, _) =>
        {
            seen = options;
            return Task.FromResult(ExitCodes.Success);
        };
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = await CliApp.RunAsync(["server", "--listen", "0.0.0.0:9000", "--data", "/tmp/d", "--deploy", "a.json", "--deploy", "b.json"],
                stdout, stderr, new StringReader(""));
            Assert.Equal(ExitCodes.Success, code);
            Assert.NotNull(seen);
            Assert.Equal("0.0.0.0:9000", seen.Listen);
            Assert.Equal("/tmp/d", seen.DataDir);
            Assert.Equal(["a.json", "b.json"], seen.Deploy);
        }
        finally
        {
            ServerCommand.ServerRunner = null;
        }

        using var err = new StringWriter();
        Assert.Equal(ExitCodes.Error, await CliApp.RunAsync(["server"], new StringWriter(), err, new StringReader("")));
        Assert.Equal("eas: server role not available in this build", err.ToString().Trim());
    }
}
