using OpenEas.Contracts;

namespace OpenEas.Cli.Output;

/// <summary>How values look in tables and progress lines.</summary>
internal static class Format
{
    public static string Time(DateTimeOffset time) =>
        time == default ? "-" : time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss");

    public static string Time(DateTimeOffset? time) => time is { } t ? Time(t) : "-";

    public static string ServicePath(string name) => "/api/predict/" + name;

    /// <summary>The change a modify/scale/start/... call made, in words.</summary>
    public static string Change(ServiceChangeResult result) => result.Change switch
    {
        "new-version" => $"new version {result.Service.LatestVersion}",
        "scaled" => $"scaled to {result.Service.DesiredInstance}",
        "switched" => $"switched to version {result.Service.CurrentVersion}",
        "unchanged" => "unchanged",
        var other => other,
    };

    /// <summary>One progress line of <c>--wait</c>.</summary>
    public static string Progress(ServiceDescription d)
    {
        var line = $"[{DateTimeOffset.Now:HH:mm:ss}] {d.ServiceName}: {d.Status}";
        if (!string.IsNullOrEmpty(d.Reason))
        {
            line += $" ({d.Reason})";
        }

        line += $", version {d.CurrentVersion}, {d.RunningInstance}/{d.TotalInstance} running";
        if (!string.IsNullOrEmpty(d.Message))
        {
            line += $": {d.Message}";
        }

        return line;
    }

    public static string LastState(InstanceLastState? last)
    {
        if (last is null)
        {
            return "-";
        }

        var text = string.IsNullOrEmpty(last.Reason) ? "Exited" : last.Reason;
        if (last.ExitCode is { } code)
        {
            text += $" (exit {code})";
        }

        return last.FinishedAt == default ? text : $"{text} at {Time(last.FinishedAt)}";
    }
}
