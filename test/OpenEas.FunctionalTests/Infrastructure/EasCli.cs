using OpenEas.Cli;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>Runs <c>eas</c> verbs in-process against a test server, as a user types them.</summary>
internal static class EasCli
{
    public sealed record Run(int Code, string Out, string Err);

    public static async Task<Run> RunAsync(TestServer server, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--endpoint", server.Endpoint, "--admin-token", TestServer.Admin], stdout, stderr,
            new StringReader(""));
        return new Run(code, stdout.ToString(), stderr.ToString());
    }
}
