using System.CommandLine;
using OpenEas.Processor.Hosting;
using OpenEas.Processor.Models;

namespace OpenEas.Cli.Commands;

/// <summary><c>eas processor onnx|custom</c>: the in-instance host the process runtime starts for a processor spec.</summary>
internal static class ProcessorCommand
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var processor = new Command("processor", "Serve a model inside an instance (what a processor spec runs)");
        processor.Add(Build(env, "onnx", "Serve an ONNX model (EAS protobuf, JSON and Open Inference Protocol v2)"));
        processor.Add(Build(env, "custom", "Serve a custom C# processor (an IProcessor in a built assembly)"));
        root.Add(processor);
    }

    private static Command Build(CliEnv env, string kind, string description)
    {
        var model = new Option<string?>("--model") { Description = "model_path: a path, file://, oss://bucket/key or http(s)://", HelpName = "path" };
        var port = new Option<int>("--port") { Description = "port to listen on [env PORT]", DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("PORT"), out var p) ? p : 8000 };
        var host = new Option<string>("--host") { Description = "address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var name = new Option<string?>("--name") { Description = "model name in /v2/models/<name> [env EAS_SERVICE_NAME, else the model file's stem]" };
        var cores = new Option<int?>("--cpu") { Description = "cores to size the plan for (default: all)", HelpName = "cores" };
        var sessions = new Option<int?>("--sessions") { Description = "worker sessions (default: one per core)" };
        var threads = new Option<int?>("--intra-op-threads") { Description = "threads per session (default: cores / sessions)" };
        var batching = new Option<string>("--batching") { Description = "off, on, or auto (measure layouts and batch sizes at start)", DefaultValueFactory = _ => "off" };
        batching.AcceptOnlyFromAmong("off", "on", "auto");
        var maxBatch = new Option<int>("--max-batch-size") { Description = "most rows per run", DefaultValueFactory = _ => 16 };
        var maxWait = new Option<int>("--max-batch-timeout") { Description = "ms to wait for more requests (batching on)", DefaultValueFactory = _ => 50 };
        var maxQueue = new Option<int>("--max-queue-size") { Description = "requests waiting before 429", DefaultValueFactory = _ => 64 };
        var timeout = new Option<int>("--timeout") { Description = "ms a request may wait in the queue", DefaultValueFactory = _ => 600_000 };
        var data = new Option<string?>("--data") { Description = "data dir for the model cache and oss:// [env EAS_DATA_DIR]" };
        var warmUp = new Option<string?>("--warm-up") { Description = "a request body (DataProto for onnx) run before listening and used to measure the plan" };
        var config = new Option<string?>("--model-config") { Description = "model_config (JSON) handed to a custom processor" };
        var command = new Command(kind, description) { model, port, host, name, cores, sessions, threads, batching, maxBatch, maxWait, maxQueue, timeout, data, warmUp, config };
        Option<string>? path = null;
        Option<string>? entry = null;
        if (kind == "custom")
        {
            path = new Option<string>("--path") { Description = "processor_path: the built assembly (.dll)", Required = true };
            entry = new Option<string>("--entry") { Description = "processor_entry: the type implementing IProcessor", Required = true };
            command.Add(path);
            command.Add(entry);
        }
        else
        {
            model.Required = true;
        }

        command.SetAction(async (parse, invocationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(invocationToken, env.Stopping);
            var o = new ProcessorOptions
            {
                Kind = kind,
                Model = parse.GetValue(model),
                Port = parse.GetValue(port),
                Host = parse.GetValue(host)!,
                Name = parse.GetValue(name) ?? (Environment.GetEnvironmentVariable("EAS_SERVICE_NAME") is { Length: > 0 } s ? s : null),
                Cores = Math.Clamp(parse.GetValue(cores) ?? Environment.ProcessorCount, 1, Environment.ProcessorCount),
                Sessions = parse.GetValue(sessions),
                IntraOpThreads = parse.GetValue(threads),
                Batching = Enum.Parse<BatchingMode>(parse.GetValue(batching)!, ignoreCase: true),
                MaxBatchSize = Math.Max(1, parse.GetValue(maxBatch)),
                MaxBatchTimeoutMs = Math.Max(0, parse.GetValue(maxWait)),
                MaxQueueSize = Math.Max(1, parse.GetValue(maxQueue)),
                TimeoutMs = Math.Max(1, parse.GetValue(timeout)),
                WarmUpPath = parse.GetValue(warmUp),
                ModelConfig = parse.GetValue(config),
                ProcessorPath = path is null ? null : parse.GetValue(path),
                ProcessorEntry = entry is null ? null : parse.GetValue(entry),
                Log = env.Io.Out,
            };
            if (parse.GetValue(data) is { } d)
            {
                o.DataDir = d;
            }

            try
            {
                return await ProcessorHost.RunAsync(o, linked.Token);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is ModelSourceException or ArgumentException or InvalidOperationException or IOException
                or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or NotSupportedException)
            {
                await env.Io.Err.WriteLineAsync($"eas processor {kind}: {ex.Message}");
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
