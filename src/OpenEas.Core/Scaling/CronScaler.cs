using System.Text.Json;
using System.Text.Json.Nodes;
using Cronos;
using OpenEas.Contracts;

namespace OpenEas.Core.Scaling;

/// <summary>One scheduled job: at each time <see cref="Schedule"/> fires, the service's floor becomes <see cref="TargetSize"/>.</summary>
public sealed record CronJob(string Name, CronExpression Schedule, string ScheduleText, int TargetSize, TimeZoneInfo TimeZone);

/// <summary>EAS's scheduled scaling (<c>cronscale</c>): jobs with six-field cron schedules, and dates they do not fire on.</summary>
public sealed record CronScalerSpec(IReadOnlyList<CronJob> Jobs, IReadOnlyList<CronExpression> ExcludeDates);

/// <summary>
/// Scheduled scaling. The floor at a moment is the target of the job that fired most recently (skipping firings that
/// fall on an excluded date); the autoscaler then runs at max(floor, its own decision). A pure function of (spec, now).
/// </summary>
public static class CronScaler
{
    /// <summary>How far back a firing is looked for (a weekly job still counts a week later).</summary>
    private static readonly TimeSpan Lookback = TimeSpan.FromDays(8);

    /// <summary>The floor now, and the job that set it; null when no job has fired within the lookback.</summary>
    public static (int Floor, string Job, DateTimeOffset FiredAt)? Floor(CronScalerSpec spec, DateTimeOffset now)
    {
        (int, string, DateTimeOffset)? best = null;
        foreach (var job in spec.Jobs)
        {
            DateTimeOffset? last = null;
            foreach (var at in job.Schedule.GetOccurrences(now - Lookback, now, job.TimeZone, fromInclusive: true, toInclusive: true))
            {
                if (!Excluded(spec, at, job.TimeZone))
                {
                    last = at;
                }
            }

            if (last is { } fired && (best is null || fired > best.Value.Item3))
            {
                best = (job.TargetSize, job.Name, fired);
            }
        }

        return best;
    }

    /// <summary>How far ahead the next firing is looked for (a yearly job on an excluded day may have none).</summary>
    private static readonly TimeSpan Lookahead = TimeSpan.FromDays(400);

    /// <summary>The next firing after <paramref name="now"/> over all jobs (excluded days skipped); null when none within a year.</summary>
    public static (string Job, int TargetSize, DateTimeOffset At)? Next(CronScalerSpec spec, DateTimeOffset now)
    {
        (string, int, DateTimeOffset)? best = null;
        foreach (var job in spec.Jobs)
        {
            foreach (var at in job.Schedule.GetOccurrences(now, now + Lookahead, job.TimeZone, fromInclusive: false, toInclusive: true))
            {
                if (best is { } b && at >= b.Item3)
                {
                    break;
                }

                if (!Excluded(spec, at, job.TimeZone))
                {
                    best = (job.Name, job.TargetSize, at);
                    break;
                }
            }
        }

        return best;
    }

    private static bool Excluded(CronScalerSpec spec, DateTimeOffset at, TimeZoneInfo zone)
    {
        foreach (var exclude in spec.ExcludeDates)
        {
            // The firing's whole day is excluded when the exclusion matches any second of it.
            var local = TimeZoneInfo.ConvertTime(at, zone);
            var dayStart = new DateTimeOffset(local.Date, local.Offset);
            if (exclude.GetNextOccurrence(dayStart.AddSeconds(-1), zone) is { } next && next < dayStart.AddDays(1))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses EAS's JSON: <c>{"ScaleJobs":[{"Name","Schedule","TargetSize","TimeZone"}],"ExcludeDates":[...]}</c>; errors name the JSON path.</summary>
    public static CronScalerSpec? Parse(string json, out IReadOnlyList<SpecIssue> errors)
    {
        var list = new List<SpecIssue>();
        errors = list;
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException ex)
        {
            list.Add(new SpecIssue("", "malformed JSON: " + ex.Message));
            return null;
        }

        if (root is null)
        {
            list.Add(new SpecIssue("", "must be a JSON object with ScaleJobs"));
            return null;
        }

        var jobs = new List<CronJob>();
        if (Field(root, "ScaleJobs") is not JsonArray scaleJobs || scaleJobs.Count == 0)
        {
            list.Add(new SpecIssue("ScaleJobs", "required: a list of {Name, Schedule, TargetSize, TimeZone?}"));
        }
        else
        {
            for (var i = 0; i < scaleJobs.Count; i++)
            {
                var path = $"ScaleJobs[{i}]";
                if (scaleJobs[i] is not JsonObject job)
                {
                    list.Add(new SpecIssue(path, "must be an object"));
                    continue;
                }

                var name = Text(Field(job, "Name")) ?? $"job{i + 1}";
                var schedule = Text(Field(job, "Schedule"));
                var cron = Cron(schedule, path + ".Schedule", list);
                var zone = Zone(Text(Field(job, "TimeZone")), path + ".TimeZone", list);
                int? target = Field(job, "TargetSize") is JsonValue v && v.TryGetValue<int>(out var t) && t is >= 0 and <= 1000 ? t : null;
                if (target is null)
                {
                    list.Add(new SpecIssue(path + ".TargetSize", "required: an integer 0-1000"));
                }

                if (cron is not null && zone is not null && target is not null)
                {
                    jobs.Add(new CronJob(name, cron, schedule!, target.Value, zone));
                }
            }
        }

        var excludes = new List<CronExpression>();
        if (Field(root, "ExcludeDates") is JsonArray dates)
        {
            for (var i = 0; i < dates.Count; i++)
            {
                if (Cron(Text(dates[i]), $"ExcludeDates[{i}]", list) is { } cron)
                {
                    excludes.Add(cron);
                }
            }
        }

        return list.Count > 0 ? null : new CronScalerSpec(jobs, excludes);
    }

    private static JsonNode? Field(JsonObject obj, string name)
    {
        foreach (var (key, value) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) || string.Equals(key.Replace("_", "", StringComparison.Ordinal), name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static CronExpression? Cron(string? text, string path, List<SpecIssue> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new SpecIssue(path, "required: a cron schedule with six fields, seconds first (e.g. \"0 0 18 * * *\")"));
            return null;
        }

        try
        {
            return CronExpression.Parse(text.Trim(), CronFormat.IncludeSeconds);
        }
        catch (CronFormatException ex)
        {
            errors.Add(new SpecIssue(path, $"\"{text}\" is not a six-field cron schedule (seconds first): {ex.Message}"));
            return null;
        }
    }

    private static TimeZoneInfo? Zone(string? id, string path, List<SpecIssue> errors)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            errors.Add(new SpecIssue(path, $"unknown time zone \"{id}\" (use an IANA name such as Asia/Shanghai)"));
            return null;
        }
    }
}
