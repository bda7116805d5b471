using System.Globalization;
using System.Diagnostics;
using System.Net;
using OpenEas.Contracts;

namespace OpenEas.Client.Stress;

/// <summary>
/// The load generator. Open loop (rate, ramp): calls leave on a fixed schedule whatever the answers do, and each
/// call's latency runs from its <em>intended</em> send time, so a stalled server shows up as latency instead of
/// as fewer calls (coordinated omission corrected). Closed loop (concurrency): N callers, each calling again when
/// answered — for peak throughput, not for latency. Bounded by the plan's duration, request cap and outstanding cap;
/// cancelling stops at once and still returns the report of what ran.
/// </summary>
public sealed class StressRunner : IDisposable
{
    private static readonly byte[] Scratch = new byte[16 * 1024]; // response bodies are drained and discarded

    private readonly StressPlan _plan;
    private readonly HttpMessageInvoker _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _time;
    private readonly StressRecorder _recorder;
    private readonly List<StressSecond> _seconds = [];
    private readonly List<StressStep> _steps = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _inflight = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RampLimits _limits;
    private long _started;
    private long _claimed;
    private int _outstanding;
    private volatile bool _stopping;
    private volatile bool _userCancelled;
    private volatile bool _abandoning;
    private double _offered;

    /// <summary>Open loop: every call intended before this elapsed time (ticks) has been launched.</summary>
    private long _launchedThrough;

    /// <param name="http">A handler to call through; by default a <see cref="SocketsHttpHandler"/> sized for the plan.</param>
    public StressRunner(StressPlan plan, HttpMessageHandler? http = null, TimeProvider? time = null)
    {
        plan.Validate();
        _plan = plan;
        _time = time ?? TimeProvider.System;
        _ownsHttp = http is null;
        _http = new HttpMessageInvoker(http ?? CreateHandler(plan), disposeHandler: http is null);
        _recorder = new StressRecorder(plan.Duration);
        _limits = new RampLimits(plan.Slo, plan.MaxErrorRate);
    }

    /// <summary>Called (on a timer thread) as each second closes.</summary>
    public Action<StressSecond>? OnSecond { get; set; }

    /// <summary>Called as each ramp step is judged.</summary>
    public Action<StressStep>? OnStep { get; set; }

    /// <summary>Share of the planned duration done, 0-1.</summary>
    public double Progress => _started == 0 ? 0 : Math.Min(1, _time.GetElapsedTime(_started) / _plan.Duration);

    /// <summary>A handler for load: enough connections, no cookies, redirects, proxy or decompression.</summary>
    public static SocketsHttpHandler CreateHandler(StressPlan plan) => new()
    {
        MaxConnectionsPerServer = plan.Mode == StressMode.Concurrency ? plan.Concurrency : plan.Connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        UseCookies = false,
        AllowAutoRedirect = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>The seconds and steps so far (for live progress of a server-side job).</summary>
    public StressReport Snapshot()
    {
        lock (_gate)
        {
            return new StressReport { Summary = new StressSummary { Service = _plan.Service, Mode = _plan.Describe() }, Seconds = [.. _seconds], Steps = [.. _steps] };
        }
    }

    /// <summary>Runs the plan to its end (duration, ramp limit, request cap) or until <paramref name="ct"/> is cancelled.</summary>
    public async Task<StressReport> RunAsync(CancellationToken ct = default)
    {
        var summary = new StressSummary { Service = _plan.Service, Mode = _plan.Describe(), Start = _time.GetUtcNow() };
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        _started = _time.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var onUser = ct.Register(() =>
        {
            _userCancelled = true;
            _inflight.Cancel();
        });
        var ticker = TickAsync(summary.Start, stop.Token);
        string reason;
        try
        {
            reason = _plan.Mode == StressMode.Concurrency ? await ClosedLoopAsync(stop.Token) : await OpenLoopAsync(stop.Token);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            reason = "cancelled";
        }

        _stopping = true;
        // Let the calls in flight finish (bounded), then abandon the rest.
        if (!_userCancelled && Volatile.Read(ref _outstanding) > 0)
        {
            var grace = _plan.Timeout < TimeSpan.FromSeconds(10) ? _plan.Timeout : TimeSpan.FromSeconds(10);
            await Task.WhenAny(_drained.Task, Task.Delay(grace, _time, ct).ContinueWith(_ => { }, TaskScheduler.Default));
        }

        _abandoning = true;
        await _inflight.CancelAsync();
        await stop.CancelAsync();
        await ticker;

        var elapsed = _time.GetElapsedTime(_started);
        var closedTo = _seconds.Count;
        if (elapsed.TotalSeconds > closedTo)
        {
            // The tail after the last whole second: a row only when a call was sent or answered in it.
            CloseSecond(closedTo, summary.Start, elapsed.TotalSeconds - closedTo, keepEmpty: false);
        }

        summary.End = _time.GetUtcNow();
        summary.Seconds = elapsed.TotalSeconds;
        summary.Cancelled = ct.IsCancellationRequested;
        summary.ProcessCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        summary.StopReason = ct.IsCancellationRequested ? "cancelled" : reason;
        _recorder.Summarise(summary);
        lock (_gate)
        {
            if (_plan.Mode == StressMode.Ramp)
            {
                var passed = _steps.LastOrDefault(s => s.Verdict == "pass");
                summary.MaxSustainableQps = passed?.OfferedQps;
            }

            return new StressReport { Summary = summary, Seconds = [.. _seconds], Steps = [.. _steps] };
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _inflight.Dispose();
    }

    // ---- open loop --------------------------------------------------------------------------

    private async Task<string> OpenLoopAsync(CancellationToken ct)
    {
        var ramp = _plan.Ramp;
        var stepIndex = 0;
        var rateIndex = 0;
        var confirming = false;
        var repeatsLeft = 3; // steps run again because the generator fell behind, over the whole ramp
        var stepLate = TimeSpan.Zero;
        var rate = _plan.Mode == StressMode.Ramp ? ramp!.Start : _plan.Rate;
        var phaseLength = _plan.Mode == StressMode.Ramp ? ramp!.Every : _plan.Duration;
        var phaseStart = TimeSpan.Zero;
        long index = 0;
        Volatile.Write(ref _offered, rate);
        while (!ct.IsCancellationRequested)
        {
            var now = _time.GetElapsedTime(_started);
            var phaseEnd = phaseStart + phaseLength;
            if (phaseEnd > _plan.Duration)
            {
                phaseEnd = _plan.Duration;
            }

            // Send what is due in this phase (never past its end).
            var due = Math.Min(OpenLoopSchedule.Due(now - phaseStart, rate), OpenLoopSchedule.InPhase(phaseEnd - phaseStart, rate));
            while (index < due)
            {
                if (_recorder.TotalSent + 1 > _plan.MaxRequests)
                {
                    return "request cap reached";
                }

                var intended = phaseStart + OpenLoopSchedule.Intended(index, rate);
                if (now - intended > stepLate)
                {
                    stepLate = now - intended;
                }

                Launch(_started + (long)(intended.TotalSeconds * _time.TimestampFrequency), (int)intended.TotalSeconds);
                index++;
            }

            Volatile.Write(ref _launchedThrough, (now < phaseEnd ? now : phaseEnd).Ticks);

            if (now >= phaseEnd)
            {
                if (phaseEnd >= _plan.Duration)
                {
                    return _plan.Mode == StressMode.Ramp ? "duration reached before a limit was found" : "duration reached";
                }

                // A ramp step ended: judge it, then raise the rate.
                var observed = _recorder.CloseStep(rate, phaseLength);
                var verdict = RampDecision.Decide(observed, _limits);
                var late = stepLate > RampDecision.GeneratorLateLimit && repeatsLeft > 0;
                var then = RampDecision.Next(verdict, confirming, late);
                var step = new StressStep
                {
                    Index = stepIndex,
                    OfferedQps = rate,
                    AchievedQps = observed.AchievedQps,
                    Ok = observed.Ok,
                    Errors = observed.Errors,
                    P99Ms = observed.P99Ms,
                    Verdict = RampDecision.Describe(verdict, observed, _limits) + (then switch
                    {
                        RampNext.Confirm => "; confirming",
                        RampNext.Repeat => string.Create(CultureInfo.InvariantCulture, $"; the generator ran {stepLate.TotalMilliseconds:0} ms late: repeating"),
                        _ => "",
                    }),
                };
                lock (_gate)
                {
                    _steps.Add(step);
                }

                OnStep?.Invoke(step);
                if (then == RampNext.Stop)
                {
                    return "limit found: " + step.Verdict;
                }

                stepIndex++;
                stepLate = TimeSpan.Zero;
                if (then == RampNext.Repeat)
                {
                    repeatsLeft--;
                }
                else
                {
                    confirming = then == RampNext.Confirm;
                }

                if (then == RampNext.Raise)
                {
                    rateIndex++;
                }

                rate = ramp!.RateOf(rateIndex);
                Volatile.Write(ref _offered, rate);
                phaseStart = phaseEnd;
                index = 0;
                continue;
            }

            // Sleep until the next call is due (at most 50 ms, at least the timer's ~1 ms).
            var next = phaseStart + OpenLoopSchedule.Intended(index, rate);
            var wait = next - _time.GetElapsedTime(_started);
            if (wait > TimeSpan.FromMilliseconds(50))
            {
                wait = TimeSpan.FromMilliseconds(50);
            }

            if (wait > TimeSpan.FromMilliseconds(1.5))
            {
                await Task.Delay(wait - TimeSpan.FromMilliseconds(0.5), _time, ct);
            }
            else if (wait > TimeSpan.Zero)
            {
                await Task.Delay(1, ct);
            }
        }

        return "cancelled";
    }

    private void Launch(long intendedTimestamp, int second)
    {
        if (Volatile.Read(ref _outstanding) >= _plan.MaxOutstanding)
        {
            _recorder.Dropped();
            return;
        }

        Interlocked.Increment(ref _outstanding);
        _recorder.Sent(second);
        _ = CallAndReleaseAsync(intendedTimestamp);
    }

    private async Task CallAndReleaseAsync(long startTimestamp)
    {
        try
        {
            await CallAsync(startTimestamp);
        }
        finally
        {
            if (Interlocked.Decrement(ref _outstanding) == 0 && _stopping)
            {
                _drained.TrySetResult();
            }
        }
    }

    // ---- closed loop ------------------------------------------------------------------------

    private async Task<string> ClosedLoopAsync(CancellationToken ct)
    {
        var capped = false;
        var deadline = _started + (long)(_plan.Duration.TotalSeconds * _time.TimestampFrequency);
        var workers = new Task[_plan.Concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(async () =>
            {
                while (!ct.IsCancellationRequested)
                {
                    var now = _time.GetTimestamp();
                    if (now >= deadline)
                    {
                        return;
                    }

                    if (Interlocked.Increment(ref _claimed) > _plan.MaxRequests)
                    {
                        capped = true;
                        return;
                    }

                    _recorder.Sent((int)((now - _started) / _time.TimestampFrequency));
                    await CallAsync(now);
                }
            }, CancellationToken.None);
        }

        await Task.WhenAll(workers);
        ct.ThrowIfCancellationRequested();
        return capped ? "request cap reached" : "duration reached";
    }

    // ---- one call ---------------------------------------------------------------------------

    private async Task CallAsync(long startTimestamp)
    {
        var status = 0;
        string? error = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_inflight.Token);
        timeout.CancelAfter(_plan.Timeout);
        try
        {
            using var request = new HttpRequestMessage(_plan.Method, _plan.Target);
            if (_plan.Token is { Length: > 0 } token)
            {
                request.Headers.TryAddWithoutValidation("Authorization", token);
            }

            if (!_plan.Body.IsEmpty || _plan.Method == HttpMethod.Post || _plan.Method == HttpMethod.Put)
            {
                request.Content = new ReadOnlyMemoryContent(_plan.Body);
            }

            using var response = await _http.SendAsync(request, timeout.Token);
            status = (int)response.StatusCode;
            using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            while (await body.ReadAsync(Scratch, timeout.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (_userCancelled)
        {
            return; // Ctrl-C: a call cut short is neither an answer nor an error
        }
        catch (OperationCanceledException)
        {
            error = _abandoning ? "unfinished" : "timeout";
        }
        catch (HttpRequestException ex)
        {
            error = ex.HttpRequestError switch
            {
                HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError => "connect",
                _ => status == 0 ? "transport" : null,
            };
            error ??= "transport";
        }
        catch (IOException)
        {
            error = "transport";
        }

        _recorder.Answer(status, error, _time.GetTimestamp() - startTimestamp);
    }

    // ---- seconds ----------------------------------------------------------------------------

    private async Task TickAsync(DateTimeOffset start, CancellationToken ct)
    {
        for (var t = 0; ; t++)
        {
            var due = TimeSpan.FromSeconds(t + 1) - _time.GetElapsedTime(_started);
            try
            {
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, _time, ct);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // A sender running late (a busy machine) still owes calls intended for second t: close it once they are out.
            var end = TimeSpan.FromSeconds(t + 1).Ticks;
            while (_plan.Mode != StressMode.Concurrency && Volatile.Read(ref _launchedThrough) < end && !ct.IsCancellationRequested
                   && _time.GetElapsedTime(_started) < TimeSpan.FromSeconds(t + 2))
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(1), _time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            CloseSecond(t, start, 1);
        }
    }

    private void CloseSecond(int t, DateTimeOffset start, double length, bool keepEmpty = true)
    {
        var offered = _plan.Mode == StressMode.Concurrency ? 0 : Volatile.Read(ref _offered);
        var second = _recorder.CloseSecond(t, start + TimeSpan.FromSeconds(t), offered, length);
        if (!keepEmpty && second.Sent == 0 && second.Ok == 0 && second.Errors == 0)
        {
            return;
        }

        lock (_gate)
        {
            _seconds.Add(second);
        }

        OnSecond?.Invoke(second);
    }
}
