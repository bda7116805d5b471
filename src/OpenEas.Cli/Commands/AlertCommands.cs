using System.CommandLine;
using System.Globalization;
using OpenEas.Cli.Output;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary><c>alert add|ls|rm</c>: a service's alert rules (e.g. <c>eas alert add svc "p99 &gt; 200ms for 30s"</c>).</summary>
internal static class AlertCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var command = new Command("alert", "Manage alert rules: fire and resolve on a service's metrics, notify a webhook")
        {
            AddCommand(env), ListCommand(env), RemoveCommand(env),
        };
        root.Add(command);
    }

    private static Command AddCommand(CliEnv env)
    {
        var service = CommonOptions.Service();
        var expr = new Argument<string>("rule")
        {
            Description = "the rule, quoted: \"<metric> <op> <threshold> for <duration>\", e.g. \"p99 > 200ms for 30s\", "
                + "\"error_rate > 1% for 1m\", \"qps < 5 for 5m\"",
        };
        var name = new Option<string?>("--name") { Description = "the rule's name (default high-<metric> or low-<metric>)" };
        var webhook = new Option<string?>("--webhook") { Description = "an http(s) URL to POST firing and resolved notifications to", HelpName = "url" };
        var json = CommonOptions.Json();
        var command = new Command("add", "Add an alert rule to a service") { service, expr, name, webhook, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var rule = await ctx.Client.CreateAlertAsync(ctx.Service, parse.GetValue(expr)!, parse.GetValue(name), parse.GetValue(webhook), ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, rule, JsonOutput.Context.AlertRuleInfo);
            }
            else
            {
                ctx.Out.WriteLine($"Alert {rule.Id} ({rule.Name}: {rule.Expr}) added to {rule.Service}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListCommand(CliEnv env)
    {
        var service = new Argument<string?>("service") { Description = "service name (all services when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var json = CommonOptions.Json();
        var command = new Command("ls", "List alert rules with their state") { service, json };
        command.Aliases.Add("list");
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service);
            var rules = await ctx.Client.ListAlertsAsync(ctx.Service, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, rules, JsonOutput.Context.ListAlertRuleInfo);
                return ExitCodes.Success;
            }

            Tables.Write(ctx.Console, ["ID", "SERVICE", "NAME", "RULE", "STATE", "VALUE", "SINCE", "WEBHOOK"],
                rules.Select(r => (IReadOnlyList<string>)
                [
                    r.Id, r.Service, r.Name, r.Expr, r.Enabled ? r.State : "Disabled", Value(r), Format.Time(r.Since),
                    r.Webhook is null ? "-" : Host(r.Webhook),
                ]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RemoveCommand(CliEnv env)
    {
        var service = CommonOptions.Service();
        var id = new Argument<string>("id") { Description = "the rule's id (see 'eas alert ls')" };
        var command = new Command("rm", "Remove an alert rule") { service, id };
        command.Aliases.Add("delete");
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var ruleId = parse.GetValue(id)!;
            await ctx.Client.DeleteAlertAsync(ctx.Service, ruleId, ct);
            ctx.Out.WriteLine($"Alert {ruleId} removed from {ctx.Service}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Value(AlertRuleInfo r) => r.Value is not { } v
        ? "-"
        : v.ToString("0.###", CultureInfo.InvariantCulture) + (r.Unit.Length > 0 ? " " + r.Unit : "");

    /// <summary>Only the host: a webhook's path often carries a secret.</summary>
    private static string Host(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : url;
}
