using System.CommandLine;
using System.Globalization;
using OpenEas.Cli.Output;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary>
/// <c>resource create|ls|desc|li|update|delete|preempt</c>: resource groups (<c>public</c> is this host; dedicated groups
/// declare their capacity and may be spot).
/// </summary>
internal static class ResourceCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var command = new Command("resource", "Manage resource groups: public (this host) and dedicated groups, optionally spot")
        {
            Create(env), List(env), Describe(env), Instances(env), Update(env), Delete(env), Preempt(env),
        };
        root.Add(command);
    }

    private static Argument<string> Name() => new("group") { Description = "resource group name" };

    private static (Option<double> Cpu, Option<long> Memory, Option<int> Gpu, Option<bool> Spot) CapacityOptions(bool required) =>
    (
        new Option<double>("--cpu") { Description = "cores the group offers", Required = required, HelpName = "cores" },
        new Option<long>("--memory") { Description = "memory the group offers, MB", Required = required, HelpName = "MB" },
        new Option<int>("--gpu") { Description = "GPUs the group offers (default 0)", HelpName = "count" },
        new Option<bool>("--spot") { Description = "spot (preemptible) capacity: a preemption notice may take it away" }
    );

    private static Command Create(CliEnv env)
    {
        var name = Name();
        var (cpu, memory, gpu, spot) = CapacityOptions(required: true);
        var json = CommonOptions.Json();
        var command = new Command("create", "Create a dedicated resource group with declared capacity") { name, cpu, memory, gpu, spot, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var group = await ctx.Client.CreateResourceAsync(new ResourceGroupRequest
            {
                Name = parse.GetValue(name)!,
                Cpu = parse.GetValue(cpu),
                Memory = parse.GetValue(memory),
                Gpu = parse.GetValue(gpu),
                Spot = parse.GetValue(spot),
            }, ct);
            return Print(ctx, group, parse.GetValue(json), $"Resource group {group.ResourceName} created: {Capacity(group)}{(group.Spot ? ", spot" : "")}.");
        });
        return command;
    }

    private static Command Update(CliEnv env)
    {
        var name = Name();
        var (cpu, memory, gpu, spot) = CapacityOptions(required: true);
        var json = CommonOptions.Json();
        var command = new Command("update", "Change a dedicated group's capacity (what no longer fits waits for room)") { name, cpu, memory, gpu, spot, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var group = await ctx.Client.UpdateResourceAsync(parse.GetValue(name)!, new ResourceGroupRequest
            {
                Cpu = parse.GetValue(cpu),
                Memory = parse.GetValue(memory),
                Gpu = parse.GetValue(gpu),
                Spot = parse.GetValue(spot),
            }, ct);
            return Print(ctx, group, parse.GetValue(json), $"Resource group {group.ResourceName} now offers {Capacity(group)}.");
        });
        return command;
    }

    private static Command List(CliEnv env)
    {
        var json = CommonOptions.Json();
        var command = new Command("ls", "List resource groups with their capacity and use") { json };
        command.Aliases.Add("list");
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var groups = await ctx.Client.ListResourcesAsync(ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, groups, JsonOutput.Context.ListResourceGroupInfo);
                return ExitCodes.Success;
            }

            Tables.Write(ctx.Console, ["RESOURCE", "TYPE", "CPU", "MEMORY", "GPU", "INSTANCES", "SERVICES", "CREATETIME"],
                groups.Select(g => (IReadOnlyList<string>)
                [
                    g.ResourceName, g.ResourceType + (g.Spot ? " (spot)" : ""), Used(g.UsedCpu, g.Cpu, g.ReclaimedCpu),
                    Used(g.UsedMemory, g.Memory, g.ReclaimedMemory) + " MB", Used(g.UsedGpu, g.Gpu, g.ReclaimedGpu),
                    g.InstanceCount.ToString(CultureInfo.InvariantCulture), g.Services.Count == 0 ? "-" : string.Join(",", g.Services),
                    Format.Time(g.CreateTime),
                ]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Describe(CliEnv env)
    {
        var name = Name();
        var json = CommonOptions.Json();
        var command = new Command("desc", "Describe a resource group: capacity, use, services, instances") { name, json };
        command.Aliases.Add("describe");
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var g = await ctx.Client.GetResourceAsync(parse.GetValue(name)!, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, g, JsonOutput.Context.ResourceGroupInfo);
                return ExitCodes.Success;
            }

            var rows = new List<(string, string)>
            {
                ("ResourceName", g.ResourceName),
                ("ResourceType", g.ResourceType + (g.Spot ? " (spot)" : "")),
                ("Cpu", Used(g.UsedCpu, g.Cpu, g.ReclaimedCpu) + " cores used"),
                ("Memory", Used(g.UsedMemory, g.Memory, g.ReclaimedMemory) + " MB used"),
                ("Gpu", Used(g.UsedGpu, g.Gpu, g.ReclaimedGpu) + " used"),
                ("Services", g.Services.Count == 0 ? "-" : string.Join(", ", g.Services)),
                ("Instances", g.InstanceCount.ToString(CultureInfo.InvariantCulture)),
            };
            if (g.ReclaimedUntil is { } until)
            {
                rows.Add(("Reclaimed", $"cpu {g.ReclaimedCpu:0.##}, memory {g.ReclaimedMemory} MB until {Format.Time(until)} (preempted)"));
            }

            if (g.CreateTime != default)
            {
                rows.Add(("CreateTime", Format.Time(g.CreateTime)));
            }

            Tables.WriteKeyValues(ctx.Console, rows);
            if (g.Instances is { Count: > 0 } instances)
            {
                ctx.Out.WriteLine();
                InstanceCommands.WriteTable(ctx, instances);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Instances(CliEnv env)
    {
        var name = Name();
        var json = CommonOptions.Json();
        var command = new Command("li", "List the instances placed in a resource group") { name, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var g = await ctx.Client.GetResourceAsync(parse.GetValue(name)!, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, g.Instances ?? [], JsonOutput.Context.ListInstanceInfo);
                return ExitCodes.Success;
            }

            InstanceCommands.WriteTable(ctx, g.Instances ?? []);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete(CliEnv env)
    {
        var name = Name();
        var command = new Command("delete", "Delete a dedicated resource group no service uses") { name };
        command.Aliases.Add("rm");
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var group = parse.GetValue(name)!;
            await ctx.Client.DeleteResourceAsync(group, ct);
            ctx.Out.WriteLine($"Resource group {group} deleted.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Preempt(CliEnv env)
    {
        var name = Name();
        var notice = new Option<double>("--notice")
        {
            Description = "seconds between the notice and the moment the instances die",
            DefaultValueFactory = _ => 60,
            HelpName = "seconds",
        };
        var reclaim = new Option<double>("--reclaim")
        {
            Description = "seconds before the reclaimed capacity can be used again",
            DefaultValueFactory = _ => 600,
            HelpName = "seconds",
        };
        var count = new Option<int?>("--count") { Description = "preempt this many instances (newest first) instead of the whole group", HelpName = "n" };
        var instances = new Option<string[]>("--instances")
        {
            Description = "preempt these instances (comma-separated) instead of the whole group",
            AllowMultipleArgumentsPerToken = true,
        };
        var json = CommonOptions.Json();
        var command = new Command("preempt", "Send a spot group the cloud's preemption notice: replacements start, the doomed instances drain before they die")
        {
            name, notice, reclaim, count, instances, json,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var names = (parse.GetValue(instances) ?? [])
                .SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var result = await ctx.Client.PreemptAsync(parse.GetValue(name)!, new PreemptRequest
            {
                NoticeSeconds = parse.GetValue(notice),
                ReclaimSeconds = parse.GetValue(reclaim),
                Count = parse.GetValue(count),
                Instances = names.Count > 0 ? names : null,
            }, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, result, JsonOutput.Context.PreemptResult);
                return ExitCodes.Success;
            }

            ctx.Out.WriteLine(result.Instances.Count == 0
                ? $"Resource group {result.ResourceName}: no instance to preempt; its capacity is reclaimed until {Format.Time(result.ReclaimedUntil)}."
                : $"Resource group {result.ResourceName}: {result.Instances.Count} instance(s) preempted ({string.Join(", ", result.Instances)}); "
                  + $"they die at {Format.Time(result.Deadline)}, replacements are starting; capacity back at {Format.Time(result.ReclaimedUntil)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Print(CliContext ctx, ResourceGroupInfo group, bool json, string line)
    {
        if (json)
        {
            JsonOutput.Write(ctx.Out, group, JsonOutput.Context.ResourceGroupInfo);
        }
        else
        {
            ctx.Out.WriteLine(line);
        }

        return ExitCodes.Success;
    }

    private static string Capacity(ResourceGroupInfo g) => g.Gpu > 0
        ? string.Create(CultureInfo.InvariantCulture, $"cpu {g.Cpu:0.##}, memory {g.Memory} MB, gpu {g.Gpu}")
        : string.Create(CultureInfo.InvariantCulture, $"cpu {g.Cpu:0.##}, memory {g.Memory} MB");

    private static string Used(double used, double total, double reclaimed) => reclaimed > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{used:0.##}/{total:0.##} ({reclaimed:0.##} reclaimed)")
        : string.Create(CultureInfo.InvariantCulture, $"{used:0.##}/{total:0.##}");
}
