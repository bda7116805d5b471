using Prometheus;

namespace OpenEas.Processor.Batching;

/// <summary>The processor's own metrics (Prometheus text at the instance's <c>/metrics</c>, a summary in <c>GET /</c>).</summary>
public sealed class ProcessorMetrics
{
    private readonly Counter _runs;
    private readonly Counter _requests;
    private readonly Counter _rows;
    private readonly Counter _rejected;
    private readonly Counter _expired;
    private readonly Gauge _queue;
    private readonly Histogram _batchSize;
    private long _runCount;
    private long _requestCount;
    private long _rowCount;
    private long _rejectedCount;
    private long _expiredCount;
    private int _largestBatch;

    public ProcessorMetrics(string service)
    {
        Registry = Metrics.NewCustomRegistry();
        Registry.SetStaticLabels(new Dictionary<string, string> { ["service"] = service });
        var factory = Metrics.WithCustomRegistry(Registry);
        _runs = factory.CreateCounter("eas_processor_runs_total", "Model runs (one per batch).");
        _requests = factory.CreateCounter("eas_processor_requests_total", "Requests answered by a model run.");
        _rows = factory.CreateCounter("eas_processor_rows_total", "Rows (items along the batch dimension) run.");
        _rejected = factory.CreateCounter("eas_processor_rejected_total", "Requests refused because the queue was full (429).");
        _expired = factory.CreateCounter("eas_processor_expired_total", "Requests that waited past their deadline in the queue.");
        _queue = factory.CreateGauge("eas_processor_queue_length", "Requests waiting for a worker.");
        _batchSize = factory.CreateHistogram("eas_processor_batch_size", "Requests per model run.",
            new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128] });
    }

    public CollectorRegistry Registry { get; }

    public void Batch(int requests, int rows)
    {
        _runs.Inc();
        _requests.Inc(requests);
        _rows.Inc(rows);
        _batchSize.Observe(requests);
        Interlocked.Increment(ref _runCount);
        Interlocked.Add(ref _requestCount, requests);
        Interlocked.Add(ref _rowCount, rows);
        int seen;
        while (requests > (seen = Volatile.Read(ref _largestBatch)) && Interlocked.CompareExchange(ref _largestBatch, requests, seen) != seen)
        {
        }
    }

    public void Rejected()
    {
        _rejected.Inc();
        Interlocked.Increment(ref _rejectedCount);
    }

    public void Expired()
    {
        _expired.Inc();
        Interlocked.Increment(ref _expiredCount);
    }

    public void QueueLength(int length) => _queue.Set(length);

    /// <summary>Totals since start, for <c>GET /</c>.</summary>
    public MetricsSnapshot Snapshot()
    {
        var runs = Interlocked.Read(ref _runCount);
        var requests = Interlocked.Read(ref _requestCount);
        return new MetricsSnapshot(runs, requests, Interlocked.Read(ref _rowCount), runs == 0 ? 0 : (double)requests / runs,
            Volatile.Read(ref _largestBatch), Interlocked.Read(ref _rejectedCount), Interlocked.Read(ref _expiredCount));
    }
}

/// <summary>Processor totals since start.</summary>
public readonly record struct MetricsSnapshot(long Runs, long Requests, long Rows, double MeanBatchSize, int LargestBatch, long Rejected, long Expired);
