using System.Diagnostics;
using System.Globalization;

namespace OpenEas.Examples.Ocr;

/// <summary>The client's <c>--repeat</c>: the same image read many times, some at once, to measure throughput and latency.</summary>
internal static class Repeat
{
    public static async Task<string> RunAsync(OcrPipeline pipeline, byte[] image, int reads, int concurrency, CancellationToken ct)
    {
        var latencies = new double[reads];
        var detection = new double[reads];
        var recognition = new double[reads];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        // Task.Run: in process, a read runs synchronously to its end, so each reader needs its own thread.
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < reads)
            {
                var t0 = Stopwatch.GetTimestamp();
                var result = await pipeline.ReadAsync(image, ct).ConfigureAwait(false);
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                detection[i] = result.Detection.TotalMilliseconds;
                recognition[i] = result.Recognition.TotalMilliseconds;
            }
        }, ct))).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Array.Sort(latencies);
        Array.Sort(detection);
        Array.Sort(recognition);
        return string.Create(CultureInfo.InvariantCulture,
            $"{reads} reads, {concurrency} at once: {reads / seconds:0.00} images/s, p50 {Percentile(latencies, 0.5):0} ms, p90 {Percentile(latencies, 0.9):0} ms (p50 detection {Percentile(detection, 0.5):0} ms, recognition {Percentile(recognition, 0.5):0} ms)");
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
