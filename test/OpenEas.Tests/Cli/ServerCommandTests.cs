using OpenEas.Cli;
using OpenEas.Cli.Commands;

namespace OpenEas.Tests.Cli;

public class ServerCommandTests
{
    [Fact]
    public async Task Server_options_reach_the_runner()
    {
        ServerCommandOptions? seen = null;
        var real = ServerCommand.ServerRunner;
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
            Assert.False(seen.KeepInstances);
            Assert.Equal(180, seen.JanitorDays);
        }
        finally
        {
            ServerCommand.ServerRunner = real;
        }
    }
}
