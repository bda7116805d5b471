namespace OpenEas.Processor.Batching;

/// <summary>How requests are grouped: up to <see cref="MaxBatchRows"/> rows per run, waiting at most <see cref="MaxWait"/> for more.</summary>
public sealed record BatchPolicy(int MaxBatchRows, TimeSpan MaxWait, int MaxQueue);

/// <summary>The queue is full: the caller gets 429.</summary>
public sealed class QueueFullException(int capacity) : Exception($"the processor's queue is full ({capacity} requests waiting); retry later");

/// <summary>The request waited past its deadline before a worker could take it.</summary>
public sealed class DeadlineExceededException(TimeSpan waited) : Exception($"the request waited {waited.TotalMilliseconds:0} ms in the queue, past its deadline");

/// <summary>What the batcher needs to know about the work it groups.</summary>
public interface IBatchWork<TItem, TResult>
{
    /// <summary>Rows an item adds to a batch (its leading dimension).</summary>
    int Rows(TItem item);

    /// <summary>Whether two items can run in one batch (same shapes past the leading dimension).</summary>
    bool Compatible(TItem first, TItem other);

    /// <summary>Runs <paramref name="batch"/> on worker <paramref name="worker"/>; one result per item, in order.</summary>
    TResult[] Run(int worker, IReadOnlyList<TItem> batch);
}

/// <summary>
/// Dynamic batching over a bounded queue: one dedicated thread per worker takes the oldest request, adds
/// compatible requests already waiting (and, with a wait time, those arriving within it) up to the batch size,
/// runs them at once and hands every caller its own result. A full queue rejects at once; a request whose
/// deadline passed while queued is answered without running.
/// </summary>
public sealed class Batcher<TItem, TResult> : IDisposable
{
    private readonly IBatchWork<TItem, TResult> _work;
    private readonly TimeProvider _time;
    private readonly ProcessorMetrics _metrics;
    private readonly LinkedList<Job> _queue = new();
    private readonly Thread[] _threads;
    private volatile BatchPolicy _policy;
    private bool _stopping;

    public Batcher(int workers, BatchPolicy policy, IBatchWork<TItem, TResult> work, ProcessorMetrics metrics, TimeProvider time,
        AdaptiveBatchSize? adaptive = null)
    {
        _work = work;
        Adaptive = adaptive;
        _policy = policy;
        _metrics = metrics;
        _time = time;
        _threads = new Thread[workers];
        for (var i = 0; i < workers; i++)
        {
            var worker = i;
            _threads[i] = new Thread(() => WorkLoop(worker)) { IsBackground = true, Name = $"processor-worker-{i}" };
            _threads[i].Start();
        }
    }

    public BatchPolicy Policy
    {
        get => _policy;
        set => _policy = value;
    }

    public int Workers => _threads.Length;

    /// <summary>The learned batch size (<c>auto</c>); null when the policy's size is fixed.</summary>
    public AdaptiveBatchSize? Adaptive { get; }

    /// <summary>Queues <paramref name="item"/>; completes with its result. Throws <see cref="QueueFullException"/> when the queue is full.</summary>
    public Task<TResult> SubmitAsync(TItem item, TimeSpan timeout, CancellationToken ct)
    {
        var job = new Job(item, _time.GetTimestamp(), timeout, ct);
        lock (_queue)
        {
            if (_queue.Count >= _policy.MaxQueue)
            {
                _metrics.Rejected();
                throw new QueueFullException(_policy.MaxQueue);
            }

            _queue.AddLast(job);
            _metrics.QueueLength(_queue.Count);
            Monitor.Pulse(_queue);
        }

        return job.Done.Task;
    }

    private void WorkLoop(int worker)
    {
        var batch = new List<Job>();
        var items = new List<TItem>();
        while (true)
        {
            batch.Clear();
            items.Clear();
            if (!Collect(batch))
            {
                return;
            }

            foreach (var job in batch)
            {
                items.Add(job.Item);
            }

            try
            {
                var started = _time.GetTimestamp();
                var results = _work.Run(worker, items);
                var elapsed = _time.GetElapsedTime(started);
                var rows = 0;
                for (var i = 0; i < batch.Count; i++)
                {
                    rows += _work.Rows(batch[i].Item);
                    batch[i].Done.TrySetResult(results[i]);
                }

                _metrics.Batch(batch.Count, rows);
                Adaptive?.Observe(rows, elapsed.TotalSeconds);
            }
            catch (Exception ex)
            {
                foreach (var job in batch)
                {
                    job.Done.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>Takes the next batch; false when stopping.</summary>
    private bool Collect(List<Job> batch)
    {
        lock (_queue)
        {
            Job? first = null;
            while (first is null)
            {
                while (_queue.Count == 0)
                {
                    if (_stopping)
                    {
                        return false;
                    }

                    Monitor.Wait(_queue);
                }

                first = TakeLive(_queue.First!);
            }

            batch.Add(first);
            var policy = _policy;
            var limit = Adaptive?.Limit ?? policy.MaxBatchRows;
            var rows = _work.Rows(first.Item);
            var waitUntil = _time.GetTimestamp() + (long)(policy.MaxWait.TotalSeconds * _time.TimestampFrequency);
            while (rows < limit)
            {
                var node = _queue.First;
                while (node is not null && rows < limit)
                {
                    var next = node.Next;
                    var r = _work.Rows(node.Value.Item);
                    if (rows + r <= limit && _work.Compatible(first.Item, node.Value.Item) && TakeLive(node) is { } job)
                    {
                        batch.Add(job);
                        rows += r;
                    }

                    node = next;
                }

                var left = waitUntil - _time.GetTimestamp();
                if (rows >= limit || left <= 0 || _stopping)
                {
                    break;
                }

                Monitor.Wait(_queue, TimeSpan.FromSeconds((double)left / _time.TimestampFrequency));
            }

            _metrics.QueueLength(_queue.Count);
            return true;
        }
    }

    /// <summary>Removes the node; returns its job unless it was cancelled or waited past its deadline (then answered here).</summary>
    private Job? TakeLive(LinkedListNode<Job> node)
    {
        _queue.Remove(node);
        var job = node.Value;
        if (job.Cancellation.IsCancellationRequested)
        {
            job.Done.TrySetCanceled(job.Cancellation);
            return null;
        }

        var waited = _time.GetElapsedTime(job.Queued);
        if (waited > job.Timeout)
        {
            _metrics.Expired();
            job.Done.TrySetException(new DeadlineExceededException(waited));
            return null;
        }

        return job;
    }

    public void Dispose()
    {
        lock (_queue)
        {
            _stopping = true;
            Monitor.PulseAll(_queue);
        }

        foreach (var t in _threads)
        {
            t.Join(TimeSpan.FromSeconds(5));
        }
    }

    private sealed class Job(TItem item, long queued, TimeSpan timeout, CancellationToken ct)
    {
        public TItem Item { get; } = item;
        public long Queued { get; } = queued;
        public TimeSpan Timeout { get; } = timeout;
        public CancellationToken Cancellation { get; } = ct;
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
