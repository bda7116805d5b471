using OpenEas.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OpenEas.Cli.Output;

/// <summary>What <c>eas monitor</c> and <c>eas top</c> print: plain lines for pipes and files, and live panels for a terminal.</summary>
internal static class MonitorView
{
    /// <summary>How many seconds the sparklines cover.</summary>
    public const int HistorySeconds = 60;

    private static readonly Style Bold = new(decoration: Decoration.Bold);

    /// <summary>One row of <c>eas top</c>.</summary>
    internal sealed record TopRow(string Name, string Status, string Instances, MetricPoint? Latest)
    {
        public double Qps => Latest?.Qps ?? 0;

        /// <summary>4xx and 5xx answers per second (the gateway's own rejections are among them).</summary>
        public double ErrorsPerSecond => Latest is { } p ? (p.Status4xx + p.Status5xx) / (double)Math.Max(1, p.Seconds) : 0;
    }

    /// <summary>The services joined with their newest second, busiest first (then by name).</summary>
    public static List<TopRow> TopRows(IEnumerable<ServiceDescription> services, IEnumerable<MetricSeries> latest)
    {
        var points = new Dictionary<string, MetricPoint>(StringComparer.Ordinal);
        foreach (var series in latest)
        {
            if (series.Points.Count > 0)
            {
                points[series.Service] = series.Points[^1];
            }
        }

        return [.. services
            .Select(s => new TopRow(s.ServiceName, s.Status, $"{s.RunningInstance}/{s.TotalInstance}", points.GetValueOrDefault(s.ServiceName)))
            .OrderByDescending(r => r.Qps)
            .ThenBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>One line of <c>eas monitor</c> when redirected: the second, the series, and <c>key=value</c> readings.</summary>
    public static string Line(string service, string? instance, MetricPoint? p)
    {
        var who = instance is null ? service : $"{service}/{instance}";
        if (p is null)
        {
            return $"- {who} no data yet";
        }

        return $"{Clock(p.Time)} {who} qps={Format.Rate(p.Qps)} p50={Format.Millis(p.P50Ms)}ms p90={Format.Millis(p.P90Ms)}ms " +
            $"p99={Format.Millis(p.P99Ms)}ms max={Format.Millis(p.MaxMs)}ms 4xx={p.Status4xx} 5xx={p.Status5xx} rejected={p.Rejected} " +
            $"inflight={p.InFlight} waiting={p.Waiting} instances={p.Instances} cpu={Format.Rate(p.CpuPercent)}% " +
            $"mem={Format.Bytes(p.MemoryBytes, "")}";
    }

    /// <summary>One line per service of <c>eas top</c> when redirected.</summary>
    public static string Line(DateTimeOffset now, TopRow r) =>
        $"{Clock(r.Latest?.Time ?? now)} {r.Name} {r.Status} instances={r.Instances} qps={Format.Rate(r.Qps)} " +
        $"p99={(r.Latest is { } p ? Format.Millis(p.P99Ms) + "ms" : "-")} errors/s={Format.Rate(r.ErrorsPerSecond)} " +
        $"cpu={(r.Latest is { } c ? Format.Rate(c.CpuPercent) + "%" : "-")} mem={(r.Latest is { } m ? Format.Bytes(m.MemoryBytes, "") : "-")}";

    /// <summary>
    /// The live panel of <c>eas monitor</c>: the newest second, and sparklines of QPS and p99 over the last minute
    /// (fewer seconds when the terminal is narrow).
    /// </summary>
    public static IRenderable Panel(string service, string? instance, MetricSeries series, int width)
    {
        var p = series.Points.Count > 0 ? series.Points[^1] : null;
        var title = instance is null ? service : $"{service} / {instance}";
        if (p is null)
        {
            return new Panel(new Text("no data yet: the server closes each second a second later")).Header(Escape(title)).Expand();
        }

        // Borders, padding, the label and the value take about 30 columns.
        var seconds = Math.Clamp(width - 30, 10, HistorySeconds);
        var qps = Sparkline.Render(Sparkline.Window(series.Points, p.Time, seconds, x => x.Qps));
        var p99 = Sparkline.Render(Sparkline.Window(series.Points, p.Time, seconds, x => x.P99Ms));
        var trends = new Grid()
            .AddColumn(new GridColumn().NoWrap().PadRight(1))
            .AddColumn(new GridColumn().NoWrap().RightAligned().PadRight(2))
            .AddColumn(new GridColumn().NoWrap());
        trends.AddRow(Label("QPS"), new Text(Format.Rate(p.Qps), Bold), new Text(qps, new Style(Color.Green)));
        trends.AddRow(Label("p99 ms"), new Text(Format.Millis(p.P99Ms), Bold), new Text(p99, new Style(Color.Yellow)));

        var readings = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(1)).AddColumn();
        readings.AddRow(Label("latency"), new Text($"p50 {Format.Millis(p.P50Ms)}  p90 {Format.Millis(p.P90Ms)}  max {Format.Millis(p.MaxMs)} ms"));
        var errors = p.Status4xx + p.Status5xx + p.Rejected > 0 ? new Style(Color.Red) : Style.Plain;
        readings.AddRow(Label("errors"), new Text($"4xx {p.Status4xx}  5xx {p.Status5xx}  rejected {p.Rejected}", errors));
        readings.AddRow(Label("load"), new Text($"in-flight {p.InFlight}  waiting {p.Waiting}  instances {p.Instances}"));
        readings.AddRow(Label("CPU"), new Text(Format.Rate(p.CpuPercent) + " %"));
        readings.AddRow(Label("memory"), new Text(Format.Bytes(p.MemoryBytes)));
        return new Panel(new Rows(trends, new Text(""), readings))
            .Header(Escape($"{title}  {Clock(p.Time)}  (trends: last {seconds} s)"))
            .Border(BoxBorder.Rounded)
            .Expand();
    }

    /// <summary>The live table of <c>eas top</c>.</summary>
    public static IRenderable Table(DateTimeOffset now, IReadOnlyList<TopRow> rows)
    {
        var table = new Table().Border(TableBorder.Simple).Title(Escape($"OpenEAS services  {Clock(now)}"));
        foreach (var (header, right) in new[]
                 {
                     ("NAME", false), ("STATUS", false), ("INSTANCES", true), ("QPS", true), ("P99 MS", true), ("ERR/S", true),
                     ("CPU %", true), ("MEMORY", true),
                 })
        {
            table.AddColumn(new TableColumn(new Text(header)) { NoWrap = true, Alignment = right ? Justify.Right : Justify.Left });
        }

        foreach (var r in rows)
        {
            var p = r.Latest;
            table.AddRow(
                new Text(r.Name), new Text(r.Status, r.Status == ServiceStates.Running ? new Style(Color.Green) : Style.Plain),
                new Text(r.Instances), new Text(Format.Rate(r.Qps)), new Text(p is null ? "-" : Format.Millis(p.P99Ms)),
                new Text(Format.Rate(r.ErrorsPerSecond), r.ErrorsPerSecond > 0 ? new Style(Color.Red) : Style.Plain),
                new Text(p is null ? "-" : Format.Rate(p.CpuPercent)), new Text(p is null ? "-" : Format.Bytes(p.MemoryBytes)));
        }

        if (rows.Count == 0)
        {
            table.Caption("no services");
        }

        return table;
    }

    private static Text Label(string text) => new(text, new Style(decoration: Decoration.Dim));

    private static string Clock(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss");

    private static string Escape(string text) => Markup.Escape(text);
}
