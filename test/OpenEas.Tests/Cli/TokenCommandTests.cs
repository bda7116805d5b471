using OpenEas.Cli.Commands;

namespace OpenEas.Tests.Cli;

public class TokenCommandTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    [InlineData(" 1.5h ", 5400)]
    public void Grace_durations_parse(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), TokenCommand.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("1x")]
    [InlineData("-5")]
    [InlineData("1h-")]
    public void Bad_grace_durations_are_refused(string text) => Assert.Null(TokenCommand.ParseDuration(text));
}
