using System.Globalization;
using System.Runtime.InteropServices;
using OpenEas.Bench.ColdStart;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;
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
               dotnet OpenEas.Bench.dll upstream --port P
               dotnet OpenEas.Bench.dll yarp --port P --to http://127.0.0.1:U/

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
          upstream    the gateway scenario's fast upstream: answers every request 200 "ok" after reading its body
          yarp        the gateway scenario's bare YARP IHttpForwarder app
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
                "upstream" => await UpstreamApp.RunAsync(Int(Option(args, "--port"), "--port", 1, 65535), cts.Token),
                "yarp" => await YarpApp.RunAsync(Int(Option(args, "--port"), "--port", 1, 65535), Option(args, "--to"), cts.Token),
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
        int rounds = 10, warmup = 2;
        string? write = null, note = null;
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rounds":
                    rounds = Int(Value(), "--rounds", 3, 100);
                    break;
                case "--warmup":
                    warmup = Int(Value(), "--warmup", 0, 10);
                    break;
                case "--write":
                    write = Value();
                    break;
                case "--note":
                    note = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        var command = "dotnet run --project bench/OpenEas.Bench -c Release -- " + string.Join(' ', args.Select(Quote));
        return new ColdStartOptions(rounds, warmup, write, note, command);
    }

    private static GatewayOptions ParseGateway(string[] args)
    {
        int rounds = 3, seconds = 10, probe = 5, warmup = 20, connections = 32;
        string? write = null, note = null;
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rounds":
                    rounds = Int(Value(), "--rounds", 1, 15);
                    break;
                case "--duration":
                    seconds = Int(Value(), "--duration", 3, 60);
                    break;
                case "--probe":
                    probe = Int(Value(), "--probe", 2, 60);
                    break;
                case "--warmup":
                    warmup = Int(Value(), "--warmup", 0, 120);
                    break;
                case "--connections":
                    connections = Int(Value(), "--connections", 1, 1000);
                    break;
                case "--write":
                    write = Value();
                    break;
                case "--note":
                    note = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        var command = "dotnet run --project bench/OpenEas.Bench -c Release -- " + string.Join(' ', args.Select(Quote));
        return new GatewayOptions(rounds, seconds, probe, warmup, connections, 2048, write, note, command);
    }

    private static StressBenchOptions ParseStress(string[] args)
    {
        int rounds = 3, seconds = 10, warmup = 15, connections = 64, core = 1;
        string? write = null, note = null;
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rounds":
                    rounds = Int(Value(), "--rounds", 1, 15);
                    break;
                case "--duration":
                    seconds = Int(Value(), "--duration", 3, 60);
                    break;
                case "--warmup":
                    warmup = Int(Value(), "--warmup", 0, 120);
                    break;
                case "--connections":
                    connections = Int(Value(), "--connections", 1, 1000);
                    break;
                case "--core":
                    core = Int(Value(), "--core", 0, Environment.ProcessorCount - 1);
                    break;
                case "--write":
                    write = Value();
                    break;
                case "--note":
                    note = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        var command = "dotnet run --project bench/OpenEas.Bench -c Release -- " + string.Join(' ', args.Select(Quote));
        return new StressBenchOptions(rounds, seconds, warmup, connections, 2048, core.ToString(CultureInfo.InvariantCulture), write, note, command);
    }

    /// <summary>The value after <paramref name="name"/> (the helper modes take only named options).</summary>
    private static string Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i > 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[0]} needs {name}");
    }

    private static int Int(string text, string option, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{option} must be a whole number {min}-{max}, got '{text}'");

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=') ? arg : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
