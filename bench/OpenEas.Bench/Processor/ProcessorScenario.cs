using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;
using OpenEas.Processor.Onnx;
using OpenEas.Processor.Protocol;
using OpenEas.TestModels;

namespace OpenEas.Bench.Processor;

/// <summary>Settings of one <c>processor</c> run.</summary>
internal sealed record ProcessorBenchOptions(int Rounds, int Duration, int Warmup, int Clients, string? RecModel, string? WritePath, string? Note, string CommandLine);

/// <summary>
/// The ONNX processor against raw ONNX Runtime, 16 closed-loop clients, on the PP-OCRv4 recognition model and on a
/// generated MLP where the per-call cost dominates: (a) the best in-process ONNX Runtime layout, (b) OpenEAS through the
/// gateway with the default plan, (c) OpenEAS with <c>batching: "auto"</c>. Interleaved a, b, c per round; with them, to
/// tell what the HTTP hops cost, the same default-plan instance called at its own port and through nginx.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ProcessorScenario
{
    public const string SectionTitle = "## Processor (ONNX: raw ONNX Runtime vs OpenEAS default plan vs auto batching)";

    private sealed record Model(string Label, string Path, string Service, Tensor Row);

    /// <summary>Where a load goes: the gateway (with the service's token), or the instance's own port and nginx (no token).</summary>
    private sealed record Target(Uri Url, string? Token);

    public static async Task<int> RunAsync(ProcessorBenchOptions o, CancellationToken ct)
    {
        var root = RepoPaths.FindRoot();
        var work = Directory.CreateTempSubdirectory("openeas-bench-models-");
        try
        {
            var models = new List<Model>();
            var mlp = Path.Combine(work.FullName, "mlp.onnx");
            // Small tensors but 68 MB of weights: at batch 1 every call streams all weights from memory, so the per-call
            // cost dominates and batching can amortize it (a tiny MLP would only measure HTTP).
            MlpModel.Write(mlp, inputs: 256, hidden: 4096, outputs: 16, hiddenLayers: 2);
            models.Add(new Model("generated MLP 256→4096→4096→16", mlp, "mlp", Zeros("x", [1, 256])));
            if ((o.RecModel ?? FetchRecognitionModel(root)) is { } rec)
            {
                models.Add(new Model("PP-OCRv4 recognition [1,3,48,320]", rec, "rec", Random("x", [1, 3, 48, 320])));
            }
            else
            {
                Console.Error.WriteLine("bench: no recognition model (examples/ocr/fetch-models.sh missing or failed; or pass --rec-model): MLP only");
            }

            if (!RepoPaths.HasCommand(root, "nginx"))
            {
                throw new BenchException("nginx is not installed: run bench/processor/run.sh (it installs nginx with apt-get)");
            }

            var loadBefore = Machine.LoadAverage1();
            // Both services of a model stay deployed (each sized to all cores) so the rounds interleave; only one is loaded at a time.
            await using var server = await EasServerProcess.StartAsync(root, ct, "--capacity-cpu", (Environment.ProcessorCount * 2).ToString(CultureInfo.InvariantCulture));
            using var client = new EasClient(server.Endpoint.ToString(), server.AdminToken);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(100) };
            var results = new List<string>();
            foreach (var m in models)
            {
                results.Add(await RunModelAsync(o, client, http, server.Endpoint, m, ct));
            }

            var report = Render(o, root, results, loadBefore);
            Console.WriteLine(report);
            if (o.WritePath is { } path)
            {
                var full = System.IO.Path.GetFullPath(path);
                ResultsFile.ReplaceSection(full, SectionTitle, report);
                Console.Error.WriteLine($"bench: wrote {full}");
            }

            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<string> RunModelAsync(ProcessorBenchOptions o, EasClient client, HttpClient http, Uri endpoint, Model m, CancellationToken ct)
    {
        var cores = Environment.ProcessorCount;
        var body = Request(m.Row);
        var specs = new[] { ("default", ""), ("auto", ", \"rpc\": { \"batching\": \"auto\", \"max_batch_size\": 16 }") };
        var tokens = new Dictionary<string, string>();
        foreach (var (suffix, rpc) in specs)
        {
            Console.Error.WriteLine($"bench: deploying {m.Service}_{suffix} ({m.Label})");
            var name = $"{m.Service}_{suffix}";
            await client.CreateServiceAsync($$"""
                { "name": "{{name}}", "processor": "onnx", "model_path": "{{m.Path}}",
                  "metadata": { "instance": 1, "cpu": {{cores}}, "memory": 2048 {{rpc}} } }
                """, ct);
            tokens[suffix] = await WaitRunningAsync(client, name, ct);
        }

        foreach (var suffix in tokens.Keys)
        {
            var info = await client.PredictAsync($"{m.Service}_{suffix}", tokens[suffix], default, HttpMethod.Get, "/", ct: ct);
            Console.Error.WriteLine($"bench: {m.Service}_{suffix} plan: {PlanLine(info.BodyText)}");
        }

        var instance = (await client.ListInstancesAsync($"{m.Service}_default", ct)).Single();
        await using var nginx = await NginxProxy.StartAsync(instance.Port, ct, model: true);
        var gatewayDefaultTarget = new Target(new Uri(endpoint, $"api/predict/{m.Service}_default"), tokens["default"]);
        var gatewayAutoTarget = new Target(new Uri(endpoint, $"api/predict/{m.Service}_auto"), tokens["auto"]);
        var directTarget = new Target(new Uri($"http://127.0.0.1:{instance.Port}/"), null);
        var nginxTarget = new Target(new Uri($"http://127.0.0.1:{nginx.Port}/"), null);

        // (a) candidates: every sessions x threads layout that fills the cores, at batch 1.
        var layouts = OnnxPlan.Layouts(cores);
        var raw = new List<double>();
        var rawLayout = new List<string>();
        var gatewayDefault = new List<double>();
        var gatewayAuto = new List<double>();
        var direct = new List<double>();
        var viaNginx = new List<double>();
        var warm = TimeSpan.FromSeconds(o.Warmup);
        var run = TimeSpan.FromSeconds(o.Duration);
        await LoadAsync(http, gatewayDefaultTarget, body, o.Clients, warm, ct);
        await LoadAsync(http, gatewayAutoTarget, body, o.Clients, warm, ct);
        await LoadAsync(http, nginxTarget, body, o.Clients, TimeSpan.FromSeconds(Math.Min(o.Warmup, 3)), ct);
        for (var round = 1; round <= o.Rounds; round++)
        {
            var best = 0.0;
            var bestLayout = "";
            foreach (var (s, t) in layouts)
            {
                var rate = RawRate(m, s, t, run);
                if (rate > best)
                {
                    (best, bestLayout) = (rate, $"{s}x{t}");
                }
            }

            var b = await LoadAsync(http, gatewayDefaultTarget, body, o.Clients, run, ct);
            var c = await LoadAsync(http, gatewayAutoTarget, body, o.Clients, run, ct);
            var d = await LoadAsync(http, directTarget, body, o.Clients, run, ct);
            var n = await LoadAsync(http, nginxTarget, body, o.Clients, run, ct);
            raw.Add(best);
            rawLayout.Add(bestLayout);
            gatewayDefault.Add(b);
            gatewayAuto.Add(c);
            direct.Add(d);
            viaNginx.Add(n);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench: {m.Service} round {round}/{o.Rounds}: (a) raw {best:0} items/s ({bestLayout}), (b) default {b:0} req/s, (c) auto {c:0} req/s, instance's port {d:0} req/s, nginx {n:0} req/s"));
        }

        var autoInfo = await client.PredictAsync($"{m.Service}_auto", tokens["auto"], default, HttpMethod.Get, "/", ct: ct);
        foreach (var (suffix, _) in specs)
        {
            await client.DeleteServiceAsync($"{m.Service}_{suffix}", ct);
        }

        var a = Median(raw);
        var bm = Median(gatewayDefault);
        var cm = Median(gatewayAuto);
        var dm = Median(direct);
        var nm = Median(viaNginx);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"| {m.Label} | {a:0} ({string.Join(", ", rawLayout.Distinct())}) | {bm:0} | {cm:0} | {bm / a:0.00} | {cm / bm:0.00} | {dm:0} ({dm / a:0.00}) | {nm:0} ({nm / a:0.00}) |");
        sb.Append(inv, $"- {m.Service} rounds: a [{Join(raw)}], b [{Join(gatewayDefault)}], c [{Join(gatewayAuto)}], instance's port [{Join(direct)}], nginx [{Join(viaNginx)}]; auto plan after the run: {PlanLine(autoInfo.BodyText)}");
        return sb.ToString();
    }

    private static string Join(List<double> values) => string.Join(", ", values.Select(v => v.ToString("0", CultureInfo.InvariantCulture)));

    private static string PlanLine(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var plan = doc.RootElement.GetProperty("plan");
        return $"{plan.GetProperty("sessions")} session(s) x {plan.GetProperty("intra_op_threads")} thread(s), batching {plan.GetProperty("batching")} up to {plan.GetProperty("max_batch_size")}: {plan.GetProperty("reason")}"
            + (doc.RootElement.TryGetProperty("metrics", out var mt) ? $" (mean batch {mt.GetProperty("mean_batch_size")})" : "");
    }

    private static async Task<string> WaitRunningAsync(EasClient client, string name, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            var d = await client.DescribeServiceAsync(name, ct);
            if (d.Status == "Running" && d.RunningInstance == 1)
            {
                return d.AccessToken!;
            }

            await Task.Delay(200, ct);
        }

        throw new BenchException($"{name} did not become Running: {await client.GetLogsAsync(name, ct: ct)}");
    }

    /// <summary>
    /// Requests per second from <paramref name="clients"/> closed-loop clients. Each answer is read to its end into a
    /// buffer of the client's own and dropped (as wrk does), so the clients' cost is the same for every target.
    /// </summary>
    private static async Task<double> LoadAsync(HttpClient http, Target target, byte[] body, int clients, TimeSpan duration, CancellationToken ct)
    {
        if (duration <= TimeSpan.Zero)
        {
            return 0;
        }

        long ok = 0;
        long failed = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            while (clock.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
                if (target.Token is { } token)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", token);
                }

                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                await using var stream = await response.Content.ReadAsStreamAsync(ct);
                long read = 0;
                int n;
                while ((n = await stream.ReadAsync(buffer, ct)) > 0)
                {
                    read += n;
                }

                if (response.IsSuccessStatusCode && read == (response.Content.Headers.ContentLength ?? read))
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{(int)response.StatusCode} after {read} bytes", null);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        if (failed > 0)
        {
            Console.Error.WriteLine($"bench: {target.Url}: {failed} failed requests (first: {firstError})");
        }

        return ok / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Items per second of <paramref name="sessions"/> in-process sessions of <paramref name="threads"/> threads running batch-1 calls back to back.</summary>
    private static double RawRate(Model m, int sessions, int threads, TimeSpan duration)
    {
        using var model = OnnxModel.Load(m.Path, sessions, threads);
        Tensor[] input = [m.Row];
        for (var s = 0; s < sessions; s++)
        {
            model.Run(s, [input]);
        }

        long items = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, sessions).Select(s => new Thread(() =>
        {
            while (clock.Elapsed < duration)
            {
                model.Run(s, [input]);
                Interlocked.Increment(ref items);
            }
        })).ToArray();
        foreach (var w in workers)
        {
            w.Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        return items / clock.Elapsed.TotalSeconds;
    }

    private static byte[] Request(Tensor t)
    {
        var proto = new TensorProto { Name = t.Name, DataType = (int)t.Type, RawData = ByteString.CopyFrom(t.Data) };
        proto.Dims.AddRange(t.Shape);
        var d = new DataProto();
        d.Tensors.Add(proto);
        return d.ToByteArray();
    }

    private static Tensor Zeros(string name, long[] shape) => new(name, TensorType.Float, shape, new byte[Tensor.Elements(shape) * 4]);

    private static Tensor Random(string name, long[] shape)
    {
        var values = new float[Tensor.Elements(shape)];
        var random = new Random(7);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new Tensor(name, TensorType.Float, shape, bytes);
    }

    /// <summary>Runs examples/ocr/fetch-models.sh (the OCR example's cache) and returns the recognition model, or null.</summary>
    private static string? FetchRecognitionModel(string root)
    {
        var script = Path.Combine(root, "examples", "ocr", "fetch-models.sh");
        if (!File.Exists(script))
        {
            return null;
        }

        var output = RepoPaths.Run(root, script);
        var line = output?.Split('\n').FirstOrDefault(l => l.StartsWith("OCR_REC_MODEL=", StringComparison.Ordinal));
        return line?["OCR_REC_MODEL=".Length..].Trim();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    private static string Render(ProcessorBenchOptions o, string root, List<string> rows, double? loadBefore)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(SectionTitle);
        sb.AppendLine();
        sb.AppendLine(inv, $"Command: `{o.CommandLine}` (or `bench/processor/run.sh`)  ");
        sb.AppendLine(string.Create(inv, $"Commit {RepoPaths.GitCommit(root)}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Machine.Cores} cores ({Machine.CpuModel()}), load before {loadBefore:0.00}; "
            + $"{o.Clients} closed-loop clients, {o.Rounds} interleaved rounds of {o.Duration} s each side after {o.Warmup} s warm-up; medians. ")
            + "Client, gateway and instance share the cores (no pinning); raw ONNX Runtime runs in the bench process with the cores to itself. "
            + "The last two columns call (b)'s instance without the gateway: at its own port, and through nginx (1 worker, keep-alive, bodies kept in memory), with the same client.");
        if (o.Note is { } note)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"Note: {note}");
        }

        sb.AppendLine();
        sb.AppendLine("| model | (a) raw ONNX Runtime, items/s (best layout sessions×threads) | (b) OpenEAS default plan, req/s | (c) OpenEAS `batching: \"auto\"`, req/s | b/a (goal ≥ 0.9 on recognition) | c/b (goal ≥ 1.5 on the MLP, ≥ 0.95 on both) | (b)'s instance at its port, req/s (/a) | (b)'s instance through nginx, req/s (/a) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.AppendLine(r.Split('\n')[0]);
        }

        sb.AppendLine();
        foreach (var r in rows)
        {
            sb.AppendLine(r.Split('\n')[1]);
        }

        return sb.ToString().TrimEnd();
    }
}
