using OpenEas.Cli;

namespace OpenEas.Tests.Cli;

public class RunTests
{
    // Nothing listens on port 1, so every call is refused at once.
    private const string Nowhere = "http://127.0.0.1:1";

    private static async Task<(int Code, string Out, string Err)> Run(string stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, new StringReader(stdin));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Theory]
    [InlineData("")]
    [InlineData("no-such-verb")]
    [InlineData("desc")]
    [InlineData("scale svc many")]
    [InlineData("ls --no-such-option")]
    public async Task Bad_usage_exits_2_with_one_line(string commandLine)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (code, stdout, stderr) = await Run("", args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith("eas: ", line, StringComparison.Ordinal);
        Assert.Contains("--help", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ls")]
    [InlineData("desc", "svc")]
    [InlineData("predict", "svc", "--data", "{}")]
    [InlineData("monitor", "svc")]
    [InlineData("top", "--count", "1")]
    public async Task An_unreachable_server_exits_5_with_one_readable_line(params string[] args)
    {
        var (code, _, stderr) = await Run("", [.. args, "--endpoint", Nowhere]);
        Assert.Equal(ExitCodes.Unreachable, code);
        var line = Assert.Single(Lines(stderr));
        Assert.Equal("eas: cannot reach the OpenEAS server at http://127.0.0.1:1/ (is 'eas server' running?)", line);
        Assert.DoesNotContain(" at OpenEas", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("monitor svc --interval soon")]
    [InlineData("monitor svc --interval 0")]
    [InlineData("top --interval 50ms")]
    [InlineData("top --count 0")]
    public async Task Bad_refresh_options_are_usage_errors_before_any_call(string commandLine)
    {
        // A call to Nowhere would end in "unreachable" (5), not in a usage error (2).
        var (code, stdout, stderr) = await Run("", [.. commandLine.Split(' '), "--endpoint", Nowhere]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("eas: --", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_without_an_answer_needs_yes()
    {
        var (code, stdout, stderr) = await Run("", "delete", "x", "--endpoint", Nowhere);
        Assert.NotEqual(ExitCodes.Success, code);
        Assert.Contains("Delete service x? [Y/n]", stdout, StringComparison.Ordinal);
        Assert.Contains("--yes", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_answered_no_deletes_nothing()
    {
        var (code, stdout, stderr) = await Run("n\n", "delete", "x", "--endpoint", Nowhere);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("Not deleted.", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Delete_answered_yes_calls_the_server()
    {
        var (code, _, stderr) = await Run("\n", "delete", "x", "--endpoint", Nowhere);
        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.Contains("cannot reach", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Modify_with_nothing_to_change_is_a_usage_error()
    {
        var (code, _, stderr) = await Run("", "modify", "x", "--endpoint", Nowhere);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("-D", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_spec_file_is_one_line()
    {
        var (code, _, stderr) = await Run("", "create", "/no/such/spec.json", "--endpoint", Nowhere);
        Assert.Equal(ExitCodes.Error, code);
        Assert.Equal("eas: spec file not found: /no/such/spec.json", Assert.Single(Lines(stderr)));
    }

    [Fact]
    public async Task Help_exits_0_and_lists_the_verbs()
    {
        var (code, stdout, _) = await Run("", "--help");
        Assert.Equal(ExitCodes.Success, code);
        foreach (var verb in new[] { "create", "modify", "desc", "ls", "stop", "start", "delete", "scale", "version", "versions", "dw", "events", "logs", "predict", "monitor", "top", "server" })
        {
            Assert.Contains(verb, stdout, StringComparison.Ordinal);
        }
    }
}
