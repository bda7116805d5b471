namespace OpenEas.Core.Alerts;

/// <summary>A stored alert rule of one service.</summary>
public sealed record AlertRule
{
    public required string Id { get; init; }
    public required string Service { get; init; }
    public required string Name { get; init; }
    public required AlertCondition Condition { get; init; }

    /// <summary>An http(s) URL notified on firing and resolved; null: events only.</summary>
    public string? Webhook { get; init; }

    public bool Enabled { get; init; } = true;
    public DateTimeOffset CreateTime { get; init; }

    /// <summary>The rule in short form, e.g. <c>p99 &gt; 200ms for 30s</c>.</summary>
    public string Expr => Condition.ToString();
}
