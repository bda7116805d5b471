using System.Globalization;
using System.Text.RegularExpressions;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Gateway;

/// <summary>What one wrk run reported.</summary>
/// <remarks><see cref="CpuSeconds"/> is wrk's own user+system time (from the shell's <c>times</c>), so the rest of the machine's busy time can be told apart.</remarks>
internal sealed record WrkResult(double Rps, double P50Ms, double P99Ms, long Requests, long Non2xx, long SocketErrors, double Seconds, double CpuSeconds);

/// <summary>Runs wrk (closed loop: fixed connections, each sends its next request when the last answer arrived) and parses its <c>--latency</c> output.</summary>
internal sealed partial class Wrk(string scriptPath)
{
    /// <summary>Writes the Lua script: POST of <paramref name="bodyBytes"/> bytes with the service token, keep-alive (wrk's default).</summary>
    public static async Task<Wrk> CreateAsync(string dir, int bodyBytes, string token, CancellationToken ct)
    {
        var script = Path.Combine(dir, "post.lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "POST"
            wrk.body = string.rep("x", {{bodyBytes}})
            wrk.headers["Content-Type"] = "application/octet-stream"
            wrk.headers["Authorization"] = "{{token}}"
            """, ct);
        return new Wrk(script);
    }

    public async Task<WrkResult> RunAsync(Uri url, int connections, int seconds, CancellationToken ct)
    {
        var lines = new List<string>();
        // Through sh so its `times` can report wrk's CPU time after it exits.
        await using var process = ChildProcess.Start("wrk", "sh",
            ["-c", "wrk \"$@\"; s=$?; times; exit $s", "wrk",
             "-t1", $"-c{connections}", $"-d{seconds}s", "--timeout", "5s", "--latency", "-s", scriptPath, url.ToString()],
            onLine: line =>
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            });
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(seconds + 30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BenchException($"wrk against {url} did not finish within {seconds + 30} s:\n{process.Tail()}");
        }

        // The output is read asynchronously: the exit can be seen before the last lines arrive.
        await Task.Delay(100, ct);
        string text;
        lock (lines)
        {
            text = string.Join('\n', lines);
        }

        if (process.ExitCode != 0)
        {
            throw new BenchException($"wrk against {url} exited with code {process.ExitCode}:\n{text}");
        }

        return Parse(text) ?? throw new BenchException($"could not read wrk's output for {url}:\n{text}");
    }

    /// <summary>Reads RPS, the 50 % and 99 % latencies, the request count, non-2xx answers and socket errors.</summary>
    public static WrkResult? Parse(string output)
    {
        var rps = RpsLine().Match(output);
        var p50 = Percentile(output, "50");
        var p99 = Percentile(output, "99");
        var requests = RequestsLine().Match(output);
        if (!rps.Success || p50 is null || p99 is null || !requests.Success)
        {
            return null;
        }

        var non2xx = Non2xxLine().Match(output);
        long errors = 0;
        if (SocketErrorsLine().Match(output) is { Success: true } se)
        {
            for (var i = 1; i <= 4; i++)
            {
                errors += long.Parse(se.Groups[i].Value, CultureInfo.InvariantCulture);
            }
        }

        return new WrkResult(
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            p50.Value,
            p99.Value,
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            errors,
            double.Parse(requests.Groups[2].Value, CultureInfo.InvariantCulture),
            ChildrenCpuSeconds(output));
    }

    /// <summary>The last line of <c>times</c> is the children's user and system time, e.g. <c>0m1.230s 0m2.010s</c>.</summary>
    internal static double ChildrenCpuSeconds(string output)
    {
        var all = TimesLine().Matches(output);
        if (all.Count == 0)
        {
            return 0;
        }

        var m = all[^1];
        double Part(int minutes, int seconds) =>
            (double.Parse(m.Groups[minutes].Value, CultureInfo.InvariantCulture) * 60) + double.Parse(m.Groups[seconds].Value, CultureInfo.InvariantCulture);
        return Part(1, 2) + Part(3, 4);
    }

    private static double? Percentile(string output, string percent)
    {
        foreach (Match m in LatencyLine().Matches(output))
        {
            if (m.Groups[1].Value == percent)
            {
                var value = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                return m.Groups[3].Value switch
                {
                    "us" => value / 1000,
                    "ms" => value,
                    "s" => value * 1000,
                    "m" => value * 60_000,
                    _ => null,
                };
            }
        }

        return null;
    }

    [GeneratedRegex(@"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$", RegexOptions.Multiline)]
    private static partial Regex TimesLine();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RpsLine();

    [GeneratedRegex(@"(\d+) requests in ([\d.]+)s")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xxLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsLine();
}
