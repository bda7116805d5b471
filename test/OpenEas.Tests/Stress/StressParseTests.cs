using OpenEas.Client.Stress;
using OpenEas.Contracts;

namespace OpenEas.Tests.Stress;

public class StressParseTests
{
    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("30s", 30)]
    [InlineData("1.5s", 1.5)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("45", 45)]
    [InlineData(" 10S ", 10)]
    public void Durations_read_as_users_write_them(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), StressParse.Duration(text));

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("-5s")]
    [InlineData("ten seconds")]
    [InlineData("5d")]
    public void Bad_durations_are_refused(string text) =>
        Assert.Throws<FormatException>(() => StressParse.Duration(text));

    [Theory]
    [InlineData("1%", 0.01)]
    [InlineData("0.5 %", 0.005)]
    [InlineData("100%", 1)]
    [InlineData("0", 0)]
    [InlineData("0.02", 0.02)]
    public void Percentages_and_fractions(string text, double fraction) =>
        Assert.Equal(fraction, StressParse.Fraction(text), 9);

    [Theory]
    [InlineData("101%")]
    [InlineData("5")]
    [InlineData("-1%")]
    [InlineData("x%")]
    public void Bad_percentages_are_refused(string text) =>
        Assert.Throws<FormatException>(() => StressParse.Fraction(text));

    [Fact]
    public void A_ramp_is_start_step_every()
    {
        var ramp = StressParse.Ramp("50:25:5s");
        Assert.Equal(new RampPlan(50, 25, TimeSpan.FromSeconds(5)), ramp);
        Assert.Equal(50, ramp.RateOf(0));
        Assert.Equal(125, ramp.RateOf(3));
        Assert.Equal("50:25:5s", ramp.ToString());
        Assert.Equal(TimeSpan.FromSeconds(2), StressParse.Ramp("1:1:2").Every);
    }

    [Theory]
    [InlineData("50:50")]
    [InlineData("50:50:5s:1")]
    [InlineData("0:50:5s")]
    [InlineData("50:-5:5s")]
    [InlineData("50:50:500ms")]   // a step shorter than a second cannot be judged
    [InlineData("a:b:c")]
    public void Bad_ramps_are_refused(string text) =>
        Assert.Throws<FormatException>(() => StressParse.Ramp(text));

    [Theory]
    [InlineData(null, null, null, "exactly one")]
    [InlineData(10.0, "1:1:1s", null, "exactly one")]
    [InlineData(10.0, null, null, null)]
    [InlineData(null, null, 0, "concurrency")]
    [InlineData(0.0, null, null, "rps")]
    public void A_request_names_exactly_one_mode(double? rps, string? ramp, int? concurrency, string? error)
    {
        var request = new JobRequest { Service = "s", Rps = rps, Ramp = ramp, Concurrency = concurrency, Duration = "5s" };
        var target = new Uri("http://127.0.0.1:1/api/predict/s");
        if (error is null)
        {
            Assert.Equal(StressMode.Rate, StressPlanFactory.Create(request, target, null).Mode);
        }
        else
        {
            Assert.Contains(error, Assert.Throws<ArgumentException>(() => StressPlanFactory.Create(request, target, null)).Message,
                StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("61m")]
    [InlineData("2h")]
    public void A_run_is_bounded_to_an_hour(string duration) =>
        Assert.Throws<ArgumentException>(() => StressPlanFactory.Create(
            new JobRequest { Service = "s", Rps = 1, Duration = duration }, new Uri("http://127.0.0.1:1/"), null));
}
