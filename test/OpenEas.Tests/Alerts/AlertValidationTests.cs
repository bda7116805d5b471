using OpenEas.Contracts;
using OpenEas.Core.Alerts;

namespace OpenEas.Tests.Alerts;

public class AlertValidationTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (AlertRule? Rule, List<SpecIssue> Issues) Validate(AlertRuleRequest r) => AlertManager.Validate("svc", "id1", r, Now);

    [Fact]
    public void A_rule_from_expr_gets_a_default_name()
    {
        var (rule, issues) = Validate(new AlertRuleRequest { Expr = "p99 > 200ms for 30s", Webhook = "https://hooks.example/a?k=1" });
        Assert.Empty(issues);
        Assert.Equal("high-p99", rule!.Name);
        Assert.Equal("p99 > 200ms for 30s", rule.Expr);
        Assert.Equal("https://hooks.example/a?k=1", rule.Webhook);
        Assert.Equal("low-qps", Validate(new AlertRuleRequest { Expr = "qps < 5" }).Rule!.Name);
    }

    [Fact]
    public void A_rule_from_parts_is_the_same_as_from_expr()
    {
        var (rule, issues) = Validate(new AlertRuleRequest { Name = "slow", Metric = "p99", Op = ">", Threshold = 200, For = 30 });
        Assert.Empty(issues);
        Assert.Equal(new AlertCondition(AlertMetric.P99, AlertOp.Greater, 200, 30), rule!.Condition);
        Assert.Equal("slow", rule.Name);
    }

    public static TheoryData<AlertRuleRequest, string> BadRequests => new()
    {
        { new AlertRuleRequest { Expr = "p99 > 200GB" }, "expr: threshold: unit \"GB\" does not fit p99 (use ms or s)" },
        { new AlertRuleRequest { Expr = "p99 > 200ms", Metric = "p99" }, "expr: give either expr or metric/op/threshold/for, not both" },
        { new AlertRuleRequest(), "metric: required" },
        { new AlertRuleRequest { Metric = "p42", Op = ">", Threshold = 1 }, "metric: \"p42\" is not a metric" },
        { new AlertRuleRequest { Metric = "p99", Op = "=", Threshold = 1 }, "op: \"=\" is not an operator" },
        { new AlertRuleRequest { Metric = "p99", Op = ">" }, "threshold: required" },
        { new AlertRuleRequest { Metric = "p99", Op = ">", Threshold = -1 }, "threshold: must be a number, 0 or more" },
        { new AlertRuleRequest { Metric = "p99", Op = ">", Threshold = 1, For = 3601 }, "for: must be 0-3600 seconds" },
        { new AlertRuleRequest { Expr = "qps < 5", Webhook = "ftp://hooks.example/x" }, "webhook: \"ftp://hooks.example/x\" is not an absolute http or https URL" },
        { new AlertRuleRequest { Expr = "qps < 5", Webhook = "/relative" }, "webhook: \"/relative\" is not an absolute http or https URL" },
        { new AlertRuleRequest { Expr = "qps < 5", Name = "has space" }, "name: must be 1-63 letters, digits, '-', '_' or '.'" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Bad_requests_name_the_json_path_of_the_bad_field(AlertRuleRequest request, string first)
    {
        var (rule, issues) = Validate(request);
        Assert.Null(rule);
        Assert.StartsWith(first, issues[0].ToString(), StringComparison.Ordinal);
    }
}
