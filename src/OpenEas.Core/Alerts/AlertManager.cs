using System.Security.Cryptography;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Store;

namespace OpenEas.Core.Alerts;

/// <summary>The alert rules' verbs for the API: create (validated; nothing stored on error), list, get, delete.</summary>
public sealed class AlertManager
{
    private const int MaxNameLength = 63;
    private const int MaxRulesPerService = 100;
    private readonly EasStore _store;
    private readonly AlertEngine _engine;
    private readonly TimeProvider _time;

    public AlertManager(EasStore store, AlertEngine engine, TimeProvider time)
    {
        _store = store;
        _engine = engine;
        _time = time;
    }

    public AlertRuleInfo Create(string service, AlertRuleRequest request)
    {
        RequireService(service);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var (rule, issues) = Validate(service, id, request, _time.GetUtcNow());
        if (rule is null)
        {
            throw new ControlException(400, ErrorCodes.InvalidAlertRule, "the alert rule is invalid: " + string.Join("; ", issues), issues);
        }

        if (_store.ListAlertRules(service).Count >= MaxRulesPerService)
        {
            throw new ControlException(409, ErrorCodes.Conflict, $"service \"{service}\" already has {MaxRulesPerService} alert rules");
        }

        if (!_store.AddAlertRule(ToRecord(rule)))
        {
            throw ControlException.NotFound(service);
        }

        return Info(rule);
    }

    /// <summary>The rules of a service (404 when it does not exist), or of every service when null.</summary>
    public List<AlertRuleInfo> List(string? service)
    {
        if (service is not null)
        {
            RequireService(service);
        }

        var list = new List<AlertRuleInfo>();
        foreach (var record in _store.ListAlertRules(service))
        {
            if (FromRecord(record) is { } rule)
            {
                list.Add(Info(rule));
            }
        }

        return list;
    }

    public AlertRuleInfo Get(string service, string id)
    {
        RequireService(service);
        return List(service).FirstOrDefault(r => r.Id == id) ?? throw NotFound(service, id);
    }

    public void Delete(string service, string id)
    {
        RequireService(service);
        if (!_store.DeleteAlertRule(service, id))
        {
            throw NotFound(service, id);
        }
    }

    /// <summary>
    /// Checks a create request and builds the rule, or lists every problem with the JSON path of its field
    /// (a pure function, tested in tables).
    /// </summary>
    internal static (AlertRule? Rule, List<SpecIssue> Issues) Validate(string service, string id, AlertRuleRequest request, DateTimeOffset now)
    {
        var issues = new List<SpecIssue>();
        AlertCondition? condition = null;
        if (request.Expr is not null)
        {
            if (request.Metric is not null || request.Op is not null || request.Threshold is not null || request.For is not null)
            {
                issues.Add(new SpecIssue("expr", "give either expr or metric/op/threshold/for, not both"));
            }
            else if (!AlertCondition.TryParse(request.Expr, out condition, out var error))
            {
                issues.Add(new SpecIssue("expr", error));
            }
        }
        else
        {
            condition = FromParts(request, issues);
        }

        if (request.Name is { } name && (name.Length is 0 or > MaxNameLength
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            issues.Add(new SpecIssue("name", $"must be 1-{MaxNameLength} letters, digits, '-', '_' or '.'"));
        }

        if (request.Webhook is { } webhook
            && !(Uri.TryCreate(webhook, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                 && uri.Host.Length > 0))
        {
            issues.Add(new SpecIssue("webhook", $"\"{webhook}\" is not an absolute http or https URL"));
        }

        if (issues.Count > 0 || condition is null)
        {
            return (null, issues);
        }

        var defaultName = (condition.Op is AlertOp.Greater or AlertOp.GreaterOrEqual ? "high-" : "low-") + AlertMetrics.Name(condition.Metric);
        return (new AlertRule
        {
            Id = id,
            Service = service,
            Name = request.Name ?? defaultName,
            Condition = condition,
            Webhook = request.Webhook,
            Enabled = request.Enabled ?? true,
            CreateTime = now,
        }, issues);
    }

    internal static AlertRule? FromRecord(AlertRuleRecord r) =>
        AlertMetrics.TryParse(r.Metric, out var metric) && AlertMetrics.TryParseOp(r.Op, out var op)
            ? new AlertRule
            {
                Id = r.Id,
                Service = r.Service,
                Name = r.Name,
                Condition = new AlertCondition(metric, op, r.Threshold, r.ForSeconds),
                Webhook = r.Webhook,
                Enabled = r.Enabled,
                CreateTime = r.CreateTime,
            }
            : null;

    private static AlertCondition? FromParts(AlertRuleRequest request, List<SpecIssue> issues)
    {
        var count = issues.Count;
        var metric = default(AlertMetric);
        var op = default(AlertOp);
        if (request.Metric is null)
        {
            issues.Add(new SpecIssue("metric", $"required (one of {AlertMetrics.Names}), or give the rule as expr, e.g. \"p99 > 200ms for 30s\""));
        }
        else if (!AlertMetrics.TryParse(request.Metric, out metric))
        {
            issues.Add(new SpecIssue("metric", $"\"{request.Metric}\" is not a metric (one of {AlertMetrics.Names})"));
        }

        if (request.Op is null)
        {
            issues.Add(new SpecIssue("op", "required: >, >=, < or <="));
        }
        else if (!AlertMetrics.TryParseOp(request.Op.Trim(), out op))
        {
            issues.Add(new SpecIssue("op", $"\"{request.Op}\" is not an operator (use >, >=, < or <=)"));
        }

        if (request.Threshold is not { } threshold)
        {
            issues.Add(new SpecIssue("threshold", "required: a number in the metric's unit (ms, %, MB or a count)"));
            threshold = 0;
        }
        else if (!double.IsFinite(threshold) || threshold < 0)
        {
            issues.Add(new SpecIssue("threshold", "must be a number, 0 or more"));
        }

        var forSeconds = request.For ?? 0;
        if (forSeconds is < 0 or > AlertCondition.MaxForSeconds)
        {
            issues.Add(new SpecIssue("for", $"must be 0-{AlertCondition.MaxForSeconds} seconds"));
        }

        return issues.Count == count ? new AlertCondition(metric, op, threshold, forSeconds) : null;
    }

    private static AlertRuleRecord ToRecord(AlertRule rule) => new(rule.Id, rule.Service, rule.Name,
        AlertMetrics.Name(rule.Condition.Metric), AlertMetrics.Symbol(rule.Condition.Op), rule.Condition.Threshold,
        rule.Condition.ForSeconds, rule.Webhook, rule.Enabled, rule.CreateTime);

    private AlertRuleInfo Info(AlertRule rule)
    {
        var state = _engine.State(rule.Id);
        return new AlertRuleInfo
        {
            Id = rule.Id,
            Service = rule.Service,
            Name = rule.Name,
            Expr = rule.Expr,
            Metric = AlertMetrics.Name(rule.Condition.Metric),
            Op = AlertMetrics.Symbol(rule.Condition.Op),
            Threshold = rule.Condition.Threshold,
            Unit = AlertMetrics.UnitSymbol(rule.Condition.Metric),
            For = rule.Condition.ForSeconds,
            Webhook = rule.Webhook,
            Enabled = rule.Enabled,
            CreateTime = rule.CreateTime,
            State = state.Phase.ToString(),
            Value = state.Value,
            Since = state.Phase switch
            {
                AlertPhase.Firing => state.FiringSince,
                AlertPhase.Pending => state.ActiveSince,
                _ => null,
            },
        };
    }

    private void RequireService(string service)
    {
        if (_store.GetService(service) is null)
        {
            throw ControlException.NotFound(service);
        }
    }

    private static ControlException NotFound(string service, string id) =>
        new(404, ErrorCodes.AlertNotFound, $"service \"{service}\" has no alert rule \"{id}\"");
}
