using System.Globalization;
using System.Runtime.InteropServices;
using OpenEas.Bench.ColdStart;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;
using OpenEas.Bench.Processor;
using OpenEas.Bench.Release;
using OpenEas.Bench.Scaling;
using OpenEas.Bench.Queue;
using OpenEas.Bench.Stress;

namespace OpenEas.Bench;

/// <summary>Scenario runners: each measures OpenEAS against a baseline in the same run.</summary>
internal static class Program
{
    private const string Usage = """
        usage: dotnet run --project bench/OpenEas.Bench -c Release -- coldstart [--rounds N] [--warmup N] [--write bench/RESULTS.md] [--note TEXT]
               dotnet run --project bench/OpenEas.Bench -c Release -- gateway [--rounds N] [--duration S] [--probe S] [--warmup S]
                                                                          [--connections N] [--write bench/RESULTS.md] [--note TEXT]
               dotnet run --project bench/OpenEas.Bench -c Release -- stress [--rounds N] [--duration S] [--warmup S] [--connections N]
                                                                         [--core N] [--write bench/RESULTS.md] [--note TEXT]
               dotnet run --project bench/OpenEas.Bench -c Release -- processor [--rounds N] [--duration S] [--warmup S] [--clients N]
                                                                            [--rec-model PATH] [--write bench/RESULTS.md] [--note TEXT]
               dotnet run --project bench/OpenEas.Bench -c Release -- scaling [--idle S] [--step S] [--tail S] [--rate N] [--write bench/RESULTS.md] [--note TEXT]
               dotnet run --project bench/OpenEas.Bench -c Release -- queue [--rounds N] [--duration S] [--probe S] [--warmup S] [--connections N]
                                                                        [--items N] [--latency-items N] [--write bench/RESULTS.md] [--note TEXT]
               dotnet run --project bench/OpenEas.Bench -c Release -- release [--rounds N] [--duration S] [--warmup S] [--rate N] [--mirror-delay MS]
                                                                          [--write bench/RESULTS.md] [--note TEXT]
               dotnet OpenEas.Bench.dll upstream --port P
               dotnet OpenEas.Bench.dll yarp --port P --to http://127.0.0.1:U/
               dotnet OpenEas.Bench.dll put-floor --port P --dir D --store file|sqlite

          coldstart   create → first successful predict of examples/echo-py, against spawning python3 app.py directly
            --rounds    counted rounds of each side, 3-100 (default 10)
            --warmup    uncounted rounds of each side first, 0-10 (default 2)
          gateway     wrk against one upstream directly, through nginx, a bare YARP forwarder and OpenEAS (needs wrk, nginx:
                      bench/gateway/run.sh installs them)
            --rounds      interleaved rounds, 1-15 (default 3; report at least 3)
            --duration    seconds of each c=N run, 3-60 (default 10)
            --probe       seconds of each c=1 latency run, 2-60 (default 5)
            --warmup      seconds of warm-up load for OpenEAS and the YARP app, 0-120 (default 20; direct and nginx get 5)
            --connections wrk connections for the throughput runs, 1-1000 (default 32)
          stress      eas bench (OpenEAS's load generator) against wrk, both pinned to one core, through the OpenEAS gateway to
                      the same fast upstream (needs wrk: bench/stress/run.sh installs it)
            --rounds      interleaved rounds, 1-15 (default 3)
            --duration    seconds of each run, 3-60 (default 10)
            --warmup      seconds of wrk warm-up first, 0-120 (default 15)
            --connections connections of both generators, 1-1000 (default 64)
            --core        the core both generators are pinned to (default 1)
          processor   16 clients: the best raw in-process ONNX Runtime layout, OpenEAS's default plan and batching "auto",
                      on a generated MLP and the PP-OCRv4 recognition model (bench/processor/run.sh)
            --rounds      interleaved rounds, 1-15 (default 3)
            --duration    seconds of each side, 3-60 (default 10)
            --warmup      seconds of warm-up load on each service, 0-120 (default 10)
            --clients     closed-loop clients, 1-256 (default 16)
            --rec-model   the recognition model (default: examples/ocr/fetch-models.sh's)
          scaling     an autoscaled fleet, then a fixed fleet sized for the peak load, under idle → 10× step → idle (open loop)
            --idle        seconds of base load first, 10-600 (default 60)
            --step        seconds of 10× load, 10-600 (default 60)
            --tail        seconds of base load after, 10-600 (default 120)
            --rate        base calls per second, 1-50 (default 8)
          queue       durable 1 KB puts/s into OpenEAS's embedded queue and its Redis backend (wrk over HTTP) against redis-benchmark
                      XADD on a redis-server with appendfsync always, and two floors (put-floor) under the same load; then
                      put → result latency (needs wrk, redis-server and redis-tools: bench/queue/run.sh installs them)
            --rounds        interleaved rounds, 1-15 (default 3)
            --duration      seconds of each OpenEAS put run, 3-60 (default 10)
            --probe         seconds of each one-connection run, 1-60 (default 5)
            --warmup        seconds of warm-up puts per OpenEAS server, 0-120 (default 10)
            --connections   connections of both generators, 1-256 (default 32)
            --items         XADDs per redis-benchmark run, 1000-10000000 (default 200000)
            --latency-items put → result samples per backend, 10-10000 (default 300)
          release     main-call p50/p99 with mirroring off and at 100 % to a slow mirror, interleaved (bench/release/run.sh)
            --rounds      interleaved rounds, 1-15 (default 3)
            --duration    seconds of each run, 5-120 (default 20)
            --warmup      seconds of warm-up load, 0-120 (default 20)
            --rate        calls per second (open loop), 10-2000 (default 200)
            --mirror-delay  ms the mirror takes per call, 0-10000 (default 200)
          upstream    the gateway scenario's fast upstream: answers every request 200 "ok" after reading its body
          yarp        the gateway scenario's bare YARP IHttpForwarder app
          put-floor   the queue scenario's floor: one Kestrel endpoint making each POSTed body durable (file: appended and
                      fsynced in groups; sqlite: OpenEAS's embedded store), no gateway
          --write     also replace the scenario's section of this markdown file
          --note      a line added to the results (e.g. what else ran on the machine)
        """;

    private static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        // Ctrl-C or SIGTERM: cancel, so the finally blocks stop the server (and its instances) and the python3 baseline.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            cts.Cancel();
        }

        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args[0] switch
            {
                "coldstart" => await ColdStartScenario.RunAsync(ParseColdStart(args), cts.Token),
                "gateway" => await GatewayScenario.RunAsync(ParseGateway(args), cts.Token),
                "stress" => await StressScenario.RunAsync(ParseStress(args), cts.Token),
                "processor" when OperatingSystem.IsLinux() => await ProcessorScenario.RunAsync(ParseProcessor(args), cts.Token),
                "scaling" => await ScalingScenario.RunAsync(ParseScaling(args), cts.Token),
                "queue" => await QueueScenario.RunAsync(ParseQueue(args), cts.Token),
                "release" => await ReleaseScenario.RunAsync(ParseRelease(args), cts.Token),
                "upstream" => await UpstreamApp.RunAsync(Int(Option(args, "--port"), "--port", 1, 65535), cts.Token),
                "yarp" => await YarpApp.RunAsync(Int(Option(args, "--port"), "--port", 1, 65535), Option(args, "--to"), cts.Token),
                "put-floor" when OperatingSystem.IsLinux() => await PutFloorApp.RunAsync(Int(Option(args, "--port"), "--port", 1, 65535),
                    Option(args, "--dir"), Option(args, "--store"), cts.Token),
                _ => throw new ArgumentException($"unknown scenario '{args[0]}'"),
            };
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"bench: {ex.Message}\n\n{Usage}");
            return 2;
        }
        catch (BenchException ex)
        {
            await Console.Error.WriteLineAsync($"bench: failed: {ex.Message}");
            return 1;
        }
        catch (OpenEas.Client.EasApiException ex)
        {
            await Console.Error.WriteLineAsync($"bench: failed: the OpenEAS server answered an error: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench: cancelled");
            return 130;
        }
    }

    private static ColdStartOptions ParseColdStart(string[] args)
    {
        var a = new BenchArgs(args, "--rounds", "--warmup", "--write", "--note");
        return new ColdStartOptions(a.Int("--rounds", 10, 3, 100), a.Int("--warmup", 2, 0, 10), a.Text("--write"), a.Text("--note"), a.Command);
    }

    private static GatewayOptions ParseGateway(string[] args)
    {
        var a = new BenchArgs(args, "--rounds", "--duration", "--probe", "--warmup", "--connections", "--write", "--note");
        return new GatewayOptions(a.Int("--rounds", 3, 1, 15), a.Int("--duration", 10, 3, 60), a.Int("--probe", 5, 2, 60),
            a.Int("--warmup", 20, 0, 120), a.Int("--connections", 32, 1, 1000), 2048, a.Text("--write"), a.Text("--note"), a.Command);
    }

    private static StressBenchOptions ParseStress(string[] args)
    {
        var a = new BenchArgs(args, "--rounds", "--duration", "--warmup", "--connections", "--core", "--write", "--note");
        var core = a.Int("--core", 1, 0, Environment.ProcessorCount - 1);
        return new StressBenchOptions(a.Int("--rounds", 3, 1, 15), a.Int("--duration", 10, 3, 60), a.Int("--warmup", 15, 0, 120),
            a.Int("--connections", 64, 1, 1000), 2048, core.ToString(CultureInfo.InvariantCulture), a.Text("--write"), a.Text("--note"), a.Command);
    }

    private static ProcessorBenchOptions ParseProcessor(string[] args)
    {
        var a = new BenchArgs(args, "--rounds", "--duration", "--warmup", "--clients", "--rec-model", "--write", "--note");
        return new ProcessorBenchOptions(a.Int("--rounds", 3, 1, 15), a.Int("--duration", 10, 3, 60), a.Int("--warmup", 10, 0, 120),
            a.Int("--clients", 16, 1, 256), a.Text("--rec-model"), a.Text("--write"), a.Text("--note"), a.Command);
    }

    private static ScalingOptions ParseScaling(string[] args)
    {
        var a = new BenchArgs(args, "--idle", "--step", "--tail", "--rate", "--write", "--note");
        return new ScalingOptions(a.Int("--idle", 60, 10, 600), a.Int("--step", 60, 10, 600), a.Int("--tail", 120, 10, 600),
            a.Int("--rate", 8, 1, 50), 10, a.Text("--write"), a.Text("--note"), a.Command);
    }

    private static QueueBenchOptions ParseQueue(string[] args)
    {
        var a = new BenchArgs(args, "--rounds", "--duration", "--probe", "--warmup", "--connections", "--items", "--latency-items", "--write", "--note");
        return new QueueBenchOptions(a.Int("--rounds", 3, 1, 15), a.Int("--duration", 10, 3, 60), a.Int("--probe", 5, 1, 60), a.Int("--warmup", 10, 0, 120),
            a.Int("--connections", 32, 1, 256), a.Int("--items", 200_000, 1000, 10_000_000), a.Int("--latency-items", 300, 10, 10_000),
            a.Text("--write"), a.Text("--note"), a.Command);
    }

    private static ReleaseBenchOptions ParseRelease(string[] args)
    {
        var a = new BenchArgs(args, "--rounds", "--duration", "--warmup", "--rate", "--mirror-delay", "--write", "--note");
        return new ReleaseBenchOptions(a.Int("--rounds", 3, 1, 15), a.Int("--duration", 20, 5, 120), a.Int("--warmup", 20, 0, 120),
            a.Int("--rate", 200, 10, 2000), a.Int("--mirror-delay", 200, 0, 10_000), a.Text("--write"), a.Text("--note"), a.Command);
    }

    /// <summary>The value after <paramref name="name"/> (the helper modes take only named options).</summary>
    private static string Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i > 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[0]} needs {name}");
    }

    private static int Int(string text, string option, int min, int max) => BenchArgs.Parse(text, option, min, max);
}
