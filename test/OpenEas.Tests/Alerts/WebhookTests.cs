using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenEas.Contracts;
using OpenEas.Core.Alerts;

namespace OpenEas.Tests.Alerts;

public class WebhookTests
{
    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 2.0)]
    [InlineData(3, 4.0)]
    [InlineData(4, 8.0)]
    [InlineData(5, null)]
    [InlineData(0, null)]
    public void Retries_back_off_exponentially_and_stop_after_five_tries(int failed, double? seconds) =>
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, WebhookRetry.DelayAfter(failed));

    private sealed class ScriptedHandler(Func<int, HttpStatusCode?> answer) : HttpMessageHandler
    {
        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            int n;
            lock (Bodies)
            {
                Bodies.Add(body);
                n = Bodies.Count;
            }

            return answer(n) is { } status ? new HttpResponseMessage(status) : throw new HttpRequestException("connection refused");
        }
    }

    private static AlertNotification Notification() => new()
    {
        Status = "firing",
        Service = "svc",
        Rule = new AlertNotificationRule { Id = "ab12", Name = "high-p99", Expr = "p99 > 200ms for 30s" },
        Value = 231,
        Threshold = 200,
        StartsAt = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Message = "p99 231 ms > 200 ms for 30 s",
    };

    [Fact]
    public async Task A_failing_webhook_is_retried_after_1_then_2_seconds_on_the_clock()
    {
        var clock = new FakeTimeProvider();
        var handler = new ScriptedHandler(n => n switch { 1 => HttpStatusCode.InternalServerError, 2 => null, _ => HttpStatusCode.OK });
        using var sender = new WebhookSender(clock, NullLogger.Instance, handler);
        var delivery = sender.DeliverAsync("http://hooks.example/x", Notification(), CancellationToken.None);

        // The clock moves only once the sender's wait is on it (a wait set after the move would never end).
        await WaitForAsync(() => sender.RetryWaits == 1);
        Assert.Single(handler.Bodies);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Single(handler.Bodies);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitForAsync(() => sender.RetryWaits == 2);
        Assert.Equal(2, handler.Bodies.Count);
        clock.Advance(TimeSpan.FromSeconds(1.999));
        Assert.Equal(2, handler.Bodies.Count);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await delivery);
        Assert.Equal(3, handler.Bodies.Count);
        Assert.Equal(1, sender.Delivered);

        using var json = JsonDocument.Parse(handler.Bodies[2]);
        Assert.Equal("firing", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("high-p99", json.RootElement.GetProperty("rule").GetProperty("name").GetString());
        Assert.False(json.RootElement.TryGetProperty("endsAt", out _));
    }

    [Fact]
    public async Task A_webhook_that_never_answers_2xx_is_given_up_after_five_tries()
    {
        var clock = new FakeTimeProvider();
        var handler = new ScriptedHandler(_ => HttpStatusCode.BadGateway);
        using var sender = new WebhookSender(clock, NullLogger.Instance, handler);
        var delivery = sender.DeliverAsync("http://hooks.example/x", Notification(), CancellationToken.None);
        for (var tries = 1; tries < WebhookRetry.MaxAttempts; tries++)
        {
            await WaitForAsync(() => sender.RetryWaits == tries);
            Assert.Equal(tries, handler.Bodies.Count);
            clock.Advance(WebhookRetry.DelayAfter(tries)!.Value);
        }

        Assert.False(await delivery);
        Assert.Equal(5, handler.Bodies.Count);
        Assert.Equal(1, sender.Failed);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(5);
        }
    }
}
