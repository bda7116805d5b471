using System.Diagnostics;
using OpenEas.Processor.Hosting;
using OpenEas.Processor.Protocol;

namespace OpenEas.Processor.Onnx;

/// <summary>One measured layout: items per second with <see cref="Sessions"/> parallel sessions of <see cref="Threads"/> threads at batch <see cref="Batch"/>.</summary>
public sealed record PlanMeasurement(int Sessions, int Threads, int Batch, double ItemsPerSecond);

/// <summary>The execution plan an instance runs with, and why.</summary>
public sealed record ExecutionPlan(int Sessions, int IntraOpThreads, BatchingMode Batching, int MaxBatchSize, int MaxBatchTimeoutMs,
    string Reason, IReadOnlyList<PlanMeasurement> Measurements);

/// <summary>
/// Chooses how an ONNX model runs on the instance's cores. Default: one single-threaded session per core (parallel
/// sessions beat one multi-threaded session on small CPU batches), batching as the spec says. <c>auto</c>: measures
/// sessions × intra-op threads layouts that fill the cores at batch 1, keeps the fastest, and leaves the batch size to
/// <see cref="Batching.AdaptiveBatchSize"/>, which learns it from real requests. Explicit settings always win.
/// </summary>
public static class OnnxPlan
{
    /// <summary>A bigger batch must raise throughput by this fraction to be taken.</summary>
    public const double MinGain = 0.05;

    /// <summary>A layout with fewer sessions must be this much faster to be chosen over one with more.</summary>
    public const double LayoutMargin = 0.10;

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(700);

    /// <summary>Layouts that use all <paramref name="cores"/>: sessions × threads = cores, most sessions first.</summary>
    public static List<(int Sessions, int Threads)> Layouts(int cores)
    {
        var list = new List<(int, int)>();
        for (var s = cores; s >= 1; s--)
        {
            if (cores % s == 0)
            {
                list.Add((s, cores / s));
            }
        }

        return list;
    }

    /// <summary>The next batch size to try after <paramref name="current"/>, or 0 when the limit is reached.</summary>
    public static int NextBatch(int current, int max) => current >= max ? 0 : Math.Min(max, current * 2);

    /// <summary>Whether <paramref name="candidate"/> items/s beats <paramref name="best"/> by enough to grow the batch.</summary>
    public static bool Improves(double candidate, double best) => candidate > best * (1 + MinGain);

    public static ExecutionPlan Default(ProcessorOptions o)
    {
        var sessions = o.Sessions ?? Math.Max(1, o.Cores / (o.IntraOpThreads ?? 1));
        var threads = o.IntraOpThreads ?? Math.Max(1, o.Cores / sessions);
        var batch = o.Batching == BatchingMode.On ? o.MaxBatchSize : 1;
        return new ExecutionPlan(sessions, threads, o.Batching == BatchingMode.On ? BatchingMode.On : BatchingMode.Off, batch, o.MaxBatchTimeoutMs,
            o.Sessions is null && o.IntraOpThreads is null ? $"default: one single-threaded session per core ({o.Cores})" : "as configured", []);
    }

    /// <summary>Measures layouts with <paramref name="sample"/> (one row per input) and returns the best plan.</summary>
    public static ExecutionPlan Measure(string modelPath, ProcessorOptions o, Tensor[] sample, bool batchable, TextWriter log)
    {
        var measurements = new List<PlanMeasurement>();
        var layouts = o.Sessions is not null || o.IntraOpThreads is not null
            ? [(Default(o).Sessions, Default(o).IntraOpThreads)]
            : Layouts(o.Cores);
        (int Sessions, int Threads) best = layouts[0];
        var bestRate = -1.0;
        foreach (var (s, t) in layouts)
        {
            using var model = OnnxModel.Load(modelPath, s, t);
            var rate = Rate(model, sample, 1);
            measurements.Add(new PlanMeasurement(s, t, 1, rate));
            log.WriteLine($"plan: {s} session(s) x {t} thread(s), batch 1: {rate:0.#} items/s");
            // Layouts come most sessions first; fewer, wider sessions must win clearly, because their threads wait
            // for each other and lose badly when the cores are shared with anything else.
            if (bestRate < 0 || rate > bestRate * (1 + LayoutMargin))
            {
                (best, bestRate) = ((s, t), rate);
            }
        }

        var adaptive = o.Batching != BatchingMode.Off && batchable;
        var reason = $"measured: {best.Sessions} x {best.Threads} is the fastest layout at batch 1 ({bestRate:0.#} items/s)"
            + (adaptive ? $"; the batch size is learned from traffic (up to {o.MaxBatchSize}), growing only while the time per row drops"
                : batchable ? "" : "; the model has no batch dimension, so requests run one by one");
        return new ExecutionPlan(best.Sessions, best.Threads, adaptive ? BatchingMode.Auto : BatchingMode.Off, adaptive ? o.MaxBatchSize : 1, 0,
            reason, measurements);
    }

    /// <summary>Items per second with every session running batches of <paramref name="batch"/> in parallel.</summary>
    private static double Rate(OnnxModel model, Tensor[] sample, int batch)
    {
        var parts = Enumerable.Repeat(sample, batch).ToArray();
        for (var s = 0; s < model.Sessions; s++)
        {
            model.Run(s, parts);
        }

        long items = 0;
        var clock = Stopwatch.StartNew();
        var threads = new Thread[model.Sessions];
        for (var s = 0; s < model.Sessions; s++)
        {
            var worker = s;
            threads[s] = new Thread(() =>
            {
                while (clock.Elapsed < Window)
                {
                    model.Run(worker, parts);
                    Interlocked.Add(ref items, batch);
                }
            });
            threads[s].Start();
        }

        foreach (var t in threads)
        {
            t.Join();
        }

        return items / clock.Elapsed.TotalSeconds;
    }
}
