using System.Globalization;
using System.Text;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;

namespace OpenEas.Bench.ColdStart;

/// <summary>Settings of one <c>coldstart</c> run.</summary>
internal sealed record ColdStartOptions(int Rounds, int WarmupRounds, string? WritePath, string? Note, string CommandLine);

/// <summary>
/// Cold start of examples/echo-py: create → first successful predict through OpenEAS, against the
/// program's own spawn → first answer, interleaved round by round in one run.
/// </summary>
internal static class ColdStartScenario
{
    public const string SectionTitle = "## Cold start (create → first successful predict)";
    public const double GoalMs = 1000;

    public static async Task<int> RunAsync(ColdStartOptions options, CancellationToken ct)
    {
        var root = RepoPaths.FindRoot();
        var app = Path.Combine(root, "examples", "echo-py", "app.py");
        if (!File.Exists(app))
        {
            throw new BenchException($"{app} is missing");
        }

        var loadBefore = Machine.LoadAverage1();
        Console.Error.WriteLine("bench: building and starting the eas server …");
        await using var server = await EasServerProcess.StartAsync(root, ct);
        Console.Error.WriteLine($"bench: eas server pid {server.Pid} on {server.Endpoint}");

        using var client = new EasClient(server.Endpoint.ToString(), server.AdminToken);
        var rounds = new ColdStartRounds(app, client);
        var baseline = new List<double>();
        var openEas = new List<OpenEasRound>();
        var total = options.WarmupRounds + options.Rounds;
        for (var i = 1; i <= total; i++)
        {
            var warm = i <= options.WarmupRounds;
            var b = await rounds.BaselineAsync(i, ct);
            var o = await rounds.OpenEasAsync(i, ct);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench: round {i}/{total}{(warm ? " (warm-up)" : "")}: baseline {b:0.0} ms, OpenEAS {o.FirstAnswerMs:0.0} ms ({o.Attempts} predict attempts)"));
            if (!warm)
            {
                baseline.Add(b);
                openEas.Add(o);
            }
        }

        var report = Render(options, root, baseline, openEas, loadBefore, Machine.LoadAverage1());
        ResultsFile.Publish(report, SectionTitle, options.WritePath);

        return 0;
    }

    private static string Render(ColdStartOptions options, string root, List<double> baseline, List<OpenEasRound> openEas,
        double? loadBefore, double? loadAfter)
    {
        var ic = CultureInfo.InvariantCulture;
        var b = Stats.Of(baseline);
        var o = Stats.Of(openEas.Select(r => r.FirstAnswerMs).ToList());
        var ratio = o.Median / b.Median;
        var added = o.Median - b.Median;
        var met = o.Median < GoalMs;

        var sb = new StringBuilder();
        sb.AppendLine(SectionTitle).AppendLine();
        ResultsFile.AppendRun(sb, options.CommandLine, root, loadBefore, loadAfter);
        sb.AppendLine(ic, $"- rounds: {options.Rounds} of each after {options.WarmupRounds} warm-up rounds of each, interleaved (baseline, OpenEAS, baseline, …); both poll every 5 ms");
        sb.AppendLine("- layout: no pinning; the runner, the eas server and the python3 program shared all cores, the same for both sides");
        ResultsFile.AppendNote(sb, options.Note);

        sb.AppendLine();
        sb.AppendLine("| | median ms | p90 ms | min ms |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine(ic, $"| baseline: spawn `python3 app.py` → first echoed POST | {b.Median:0.0} | {b.P90:0.0} | {b.Min:0.0} |");
        sb.AppendLine(ic, $"| OpenEAS: `CreateService` → first echoed predict (200) | {o.Median:0.0} | {o.P90:0.0} | {o.Min:0.0} |");
        sb.AppendLine();
        sb.AppendLine(ic, $"**OpenEAS / baseline (medians): {ratio:0.00}×**; OpenEAS adds {added:0.0} ms (median).");
        sb.AppendLine(ic, $"Goal (OpenEAS median < {GoalMs:0} ms): **{(met ? "met" : "not met")}** ({o.Median:0.0} ms).");
        sb.AppendLine();

        sb.AppendLine("Where OpenEAS's time goes (median over the counted rounds, ms since just before the create call;");
        sb.AppendLine("process start and readiness are the server's own timestamps, read after each round):");
        sb.AppendLine();
        sb.AppendLine("| step | median ms |");
        sb.AppendLine("|---|---:|");
        sb.AppendLine(ic, $"| create call answered | {Stats.Of(openEas.Select(r => r.CreateAnsweredMs).ToList()).Median:0.0} |");
        AppendPhase(sb, "instance process started", openEas.Select(r => r.ProcessStartedMs));
        AppendPhase(sb, "readiness check passed (process start + the agent's \"ready in N ms\")", openEas.Select(r => r.ProbePassedMs));
        AppendPhase(sb, "`InstanceReady` event recorded (the pass that publishes the route)", openEas.Select(r => r.ReadyEventMs));
        sb.AppendLine(ic, $"| first echoed predict | {o.Median:0.0} |");
        sb.AppendLine();
        sb.AppendLine(ic, $"Rounds (ms): baseline {string.Join(", ", baseline.Select(v => v.ToString("0", ic)))}; OpenEAS {string.Join(", ", openEas.Select(r => r.FirstAnswerMs.ToString("0", ic)))}.");
        return sb.ToString().TrimEnd('\n');
    }

    private static void AppendPhase(StringBuilder sb, string label, IEnumerable<double?> values)
    {
        var known = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {(known.Count == 0 ? "n/a" : Stats.Of(known).Median.ToString("0.0", CultureInfo.InvariantCulture))} |");
    }
}
