using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenEas.Contracts;
using OpenEas.Core.Metrics;
using OpenEas.Core.Store;

namespace OpenEas.Core.Alerts;

/// <summary>
/// Evaluates every enabled alert rule each time the metrics hub closes a second (its <see cref="MetricsHub.SecondClosed"/>
/// hook), on the newest point of the rule's service: the same series the API and the autoscaler read. Firing and
/// resolved become service events (<c>AlertFiring</c>, Warning; <c>AlertResolved</c>, Normal) and webhook
/// notifications. The state of each rule lives in memory: after a restart every rule starts Inactive.
/// </summary>
public sealed class AlertEngine : BackgroundService
{
    private readonly MetricsHub _hub;
    private readonly EasStore _store;
    private readonly WebhookSender _webhooks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, AlertState> _states = new(StringComparer.Ordinal);
    // Only the newest closed second matters: if evaluation falls behind, older ticks are dropped.
    private readonly Channel<DateTimeOffset> _ticks = Channel.CreateBounded<DateTimeOffset>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public AlertEngine(MetricsHub hub, EasStore store, WebhookSender webhooks, TimeProvider time, ILogger<AlertEngine> logger)
    {
        _hub = hub;
        _store = store;
        _webhooks = webhooks;
        _time = time;
        _logger = logger;
        hub.SecondClosed += OnSecondClosed;
    }

    /// <summary>The state of a rule (Inactive when never evaluated).</summary>
    public AlertState State(string ruleId) => _states.GetValueOrDefault(ruleId) ?? AlertState.Inactive;

    /// <summary>One evaluation of every rule now (the loop's body; tests may call it directly).</summary>
    public void EvaluateOnce(DateTimeOffset now)
    {
        var records = _store.ListAlertRules();
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (AlertManager.FromRecord(record) is not { } rule)
            {
                AlertLog.BadRule(_logger, record.Service, record.Id);
                continue;
            }

            if (!rule.Enabled)
            {
                continue;
            }

            live.Add(rule.Id);
            var state = State(rule.Id);
            var (next, transition) = AlertEvaluator.Evaluate(rule, state, _hub.Latest(rule.Service), now);
            _states[rule.Id] = next;
            if (transition is { } t)
            {
                Notify(rule, next, t, now);
            }
        }

        foreach (var id in _states.Keys)
        {
            if (!live.Contains(id))
            {
                _states.TryRemove(id, out _); // deleted (or its service deleted): forgotten without a resolve
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in _ticks.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    EvaluateOnce(_time.GetUtcNow());
                }
                catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
                {
                    AlertLog.EvaluationFailed(_logger, ex); // a busy disk costs one evaluation, never the loop
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _hub.SecondClosed -= OnSecondClosed;
        base.Dispose();
    }

    private void OnSecondClosed(DateTimeOffset second) => _ticks.Writer.TryWrite(second);

    private void Notify(AlertRule rule, AlertState state, AlertTransition transition, DateTimeOffset now)
    {
        var message = AlertEvaluator.Message(rule.Condition, transition, state);
        var fired = transition == AlertTransition.Fired;
        _store.AddEvent(rule.Service, now, fired ? "Warning" : "Normal", fired ? "AlertFiring" : "AlertResolved", $"alert {rule.Name}: {message}");
        if (fired)
        {
            AlertLog.Fired(_logger, rule.Service, rule.Name, message);
        }
        else
        {
            AlertLog.Resolved(_logger, rule.Service, rule.Name, message);
        }

        if (rule.Webhook is { } url)
        {
            _webhooks.Enqueue(url, new AlertNotification
            {
                Status = fired ? "firing" : "resolved",
                Service = rule.Service,
                Rule = new AlertNotificationRule { Id = rule.Id, Name = rule.Name, Expr = rule.Expr },
                Value = state.Value,
                Threshold = rule.Condition.Threshold,
                StartsAt = state.FiringSince ?? now,
                EndsAt = fired ? null : state.ResolvedAt ?? now,
                Message = message,
            });
        }
    }
}
