using System.Globalization;
using OpenEas.Contracts;

namespace OpenEas.Cli.Output;

/// <summary>How values look in tables and progress lines.</summary>
internal static class Format
{
    public static string Time(DateTimeOffset time) =>
        time == default ? "-" : time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss");

    public static string Time(DateTimeOffset? time) => time is { } t ? Time(t) : "-";

    public static string ServicePath(string name) => "/api/predict/" + name;

    /// <summary>A byte count in binary units, one decimal above KiB: <c>512 B</c>, <c>1.5 KiB</c>, <c>24.1 MiB</c>.</summary>
    public static string Bytes(long bytes, string separator = " ")
    {
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + separator + "B";
        }

        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var value = bytes / 1024.0;
        var unit = 0;
        while (value >= 1023.95 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString("0.0", CultureInfo.InvariantCulture) + separator + units[unit];
    }

    /// <summary>Milliseconds with three significant digits or so: <c>0.123</c>, <c>1.21</c>, <c>12.3</c>, <c>123</c>.</summary>
    public static string Millis(double ms) => ms switch
    {
        < 1 => ms.ToString("0.###", CultureInfo.InvariantCulture),
        < 10 => ms.ToString("0.##", CultureInfo.InvariantCulture),
        < 100 => ms.ToString("0.#", CultureInfo.InvariantCulture),
        _ => ms.ToString("0", CultureInfo.InvariantCulture),
    };

    /// <summary>A rate (calls per second, CPU percent) with at most one decimal.</summary>
    public static string Rate(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

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
