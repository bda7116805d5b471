using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OpenEas.Cli.Output;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary>
/// <c>job create|ls|desc|stop</c>: batch jobs (and the stress jobs <c>bench</c> starts) under <c>/api/v2/jobs</c>.
/// <c>job create spec.json</c> starts a batch job and follows it with a progress bar until it ends.
/// </summary>
internal static class JobCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var job = new Command("job", "Batch jobs: run every file of a directory, oss:// prefix or JSONL file through a service");
        job.Add(Create(env));
        job.Add(List(env));
        job.Add(Describe(env));
        job.Add(Stop(env));
        root.Add(job);
    }

    private static Command Create(CliEnv env)
    {
        var spec = new Argument<string>("spec.json")
        {
            Description = "the job: {\"kind\":\"batch\",\"input\":dir|oss://…|file.jsonl,\"output\":dir,\"service\":name | \"serviceSpec\":{…},\"instances\":n}",
        };
        var noWait = new Option<bool>("--no-wait") { Description = "print the job id and return; do not follow its progress" };
        var json = CommonOptions.Json();
        var command = new Command("create", "Start a batch job and follow its progress") { spec, noWait, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var text = await CommonOptions.ReadSpecAsync(ctx, parse.GetValue(spec)!, ct);
            JobRequest? request;
            try
            {
                request = JsonSerializer.Deserialize(text, EasJsonContext.Default.JobRequest);
            }
            catch (JsonException ex)
            {
                ctx.Err.WriteLine($"eas: {parse.GetValue(spec)}: malformed job JSON: {ex.Message}");
                return ExitCodes.InvalidSpec;
            }

            if (request is null)
            {
                ctx.Err.WriteLine($"eas: {parse.GetValue(spec)}: the job must be a JSON object");
                return ExitCodes.InvalidSpec;
            }

            if (!text.Contains("\"kind\"", StringComparison.Ordinal))
            {
                request.Kind = "batch";
            }

            // Paths are the user's, relative to where they stand; the server needs them absolute.
            if (request.Input is { } input && !input.StartsWith("oss://", StringComparison.Ordinal))
            {
                request.Input = Path.GetFullPath(input);
            }

            if (request.Output is { } output)
            {
                request.Output = Path.GetFullPath(output);
            }

            var info = await ctx.Client.CreateJobAsync(request, ct);
            if (parse.GetValue(noWait))
            {
                Write(ctx, info, parse.GetValue(json));
                return ExitCodes.Success;
            }

            ctx.Out.WriteLine($"job {info.Id} started: {info.Batch?.Total ?? 0} items → {info.Batch?.Output}");
            info = await FollowAsync(ctx, info, ct);
            Write(ctx, info, parse.GetValue(json));
            return info.State == JobStates.Succeeded ? ExitCodes.Success : ExitCodes.Error;
        });
        return command;
    }

    private static Command List(CliEnv env)
    {
        var json = CommonOptions.Json();
        var command = new Command("ls", "List jobs, newest first") { json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var jobs = await ctx.Client.ListJobsAsync(ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, jobs, JsonOutput.Context.ListJobInfo);
                return ExitCodes.Success;
            }

            Tables.Write(ctx.Console, ["JOB", "KIND", "SERVICE", "STATE", "PROGRESS", "CREATED"],
                jobs.Select(j => (IReadOnlyList<string>)[j.Id, j.Kind, j.Service, j.State, ProgressText(j), Format.Time(j.CreatedAt)]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Describe(CliEnv env)
    {
        var id = new Argument<string>("job") { Description = "the job id (see 'eas job ls')" };
        var json = CommonOptions.Json();
        var command = new Command("desc", "Describe a job: state, progress (done/failed/total, rate, ETA) and failed items") { id, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            Write(ctx, await ctx.Client.GetJobAsync(parse.GetValue(id)!, ct), parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Stop(CliEnv env)
    {
        var id = new Argument<string>("job") { Description = "the job id" };
        var command = new Command("stop", "Cancel a running job (a batch job keeps the results it wrote)") { id };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var info = await ctx.Client.CancelJobAsync(parse.GetValue(id)!, ct);
            ctx.Out.WriteLine($"job {info.Id}: {info.State}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Polls the job until it ends, drawing a progress bar (one line per change when not on a terminal).</summary>
    private static async Task<JobInfo> FollowAsync(CliContext ctx, JobInfo info, CancellationToken ct)
    {
        var last = "";
        while (info.State == JobStates.Running)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), ctx.Time, ct);
            info = await ctx.Client.GetJobAsync(info.Id, ct);
            var line = Bar(info);
            if (line == last)
            {
                continue;
            }

            last = line;
            if (ctx.Io.IsTerminal)
            {
                ctx.Out.Write("\r" + line.PadRight(100));
            }
            else
            {
                ctx.Out.WriteLine(line);
            }
        }

        if (ctx.Io.IsTerminal)
        {
            ctx.Out.WriteLine();
        }

        return info;
    }

    internal static string Bar(JobInfo info)
    {
        const int Width = 30;
        var filled = (int)Math.Round(Math.Clamp(info.Progress, 0, 1) * Width);
        return $"[{new string('#', filled)}{new string('.', Width - filled)}] {ProgressText(info)}";
    }

    private static string ProgressText(JobInfo j)
    {
        if (j.Batch is not { } b)
        {
            return j.Progress.ToString("0%", CultureInfo.InvariantCulture);
        }

        var eta = b.EtaSeconds is { } s ? $", ETA {TimeSpan.FromSeconds(Math.Ceiling(s)):g}" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{b.Done}/{b.Total} done, {b.Failed} failed, {b.Rate:0.#}/s{eta}");
    }

    private static void Write(CliContext ctx, JobInfo info, bool json)
    {
        if (json)
        {
            JsonOutput.Write(ctx.Out, info, JsonOutput.Context.JobInfo);
            return;
        }

        var pairs = new List<(string, string)>
        {
            ("Job", info.Id),
            ("Kind", info.Kind),
            ("Service", info.Service),
            ("State", info.State),
            ("Message", info.Message ?? "-"),
            ("Progress", ProgressText(info)),
            ("Created", Format.Time(info.CreatedAt)),
            ("Finished", Format.Time(info.FinishedAt)),
        };
        if (info.Batch is { } b)
        {
            pairs.Add(("Output", b.Output));
            pairs.Add(("Resumes", b.Resumes.ToString(CultureInfo.InvariantCulture)));
        }

        Tables.WriteKeyValues(ctx.Console, pairs);
        if (info.Batch is { FailedItems.Count: > 0 } batch)
        {
            ctx.Out.WriteLine();
            Tables.Write(ctx.Console, ["FAILED ITEM", "ERROR"], batch.FailedItems.Select(f => (IReadOnlyList<string>)[f.Item, f.Error]));
        }
    }
}
