using Microsoft.Extensions.Logging;

namespace OpenEas.Core.Alerts;

internal static partial class AlertLog
{
    [LoggerMessage(1, LogLevel.Warning, "Alert {Rule} of {Service} firing: {Message}")]
    public static partial void Fired(ILogger logger, string service, string rule, string message);

    [LoggerMessage(2, LogLevel.Information, "Alert {Rule} of {Service} resolved: {Message}")]
    public static partial void Resolved(ILogger logger, string service, string rule, string message);

    [LoggerMessage(3, LogLevel.Error, "Alert evaluation failed")]
    public static partial void EvaluationFailed(ILogger logger, Exception ex);

    [LoggerMessage(4, LogLevel.Warning, "Webhook at {Host}: try {Attempt} failed ({Error}); retrying in {Seconds} s")]
    public static partial void WebhookRetrying(ILogger logger, string host, int attempt, string error, double seconds);

    [LoggerMessage(5, LogLevel.Error, "Webhook at {Host}: gave up on alert {Rule} of {Service} after {Attempts} tries ({Error})")]
    public static partial void WebhookGaveUp(ILogger logger, string host, string service, string rule, int attempts, string error);

    [LoggerMessage(6, LogLevel.Warning, "Webhook at {Host}: notification of alert {Rule} of {Service} dropped, too many waiting")]
    public static partial void WebhookDropped(ILogger logger, string host, string service, string rule);

    [LoggerMessage(7, LogLevel.Warning, "Alert rule {Id} of {Service} cannot be read and is skipped")]
    public static partial void BadRule(ILogger logger, string service, string id);
}
