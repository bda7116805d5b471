using System.Diagnostics;
using HdrHistogram;
using OpenEas.Contracts;

namespace OpenEas.Client.Stress;

/// <summary>
/// Counts a stress run into the current second, the current ramp step and the whole run: answers by status and
/// latencies in HdrHistograms (microseconds). One short lock per answer; no allocation per call.
/// </summary>
internal sealed class StressRecorder
{
    private const long HighestMicros = 3_600_000_000; // 1 h

    private static readonly string[] StatusKeys = Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private readonly Lock _gate = new();
    private readonly LongHistogram _second = new(HighestMicros, 3);
    private readonly LongHistogram _step = new(HighestMicros, 3);
    private readonly LongHistogram _total = new(HighestMicros, 3);
    private readonly Dictionary<string, long> _secondErrors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _totalErrors = new(StringComparer.Ordinal);
    private readonly long[] _sentBySecond;
    private long _secondOk, _secondErrorCount, _secondDropped, _stepOk, _stepErrors, _totalOk, _totalErrorCount, _totalDropped, _totalSent;

    public StressRecorder(TimeSpan duration) => _sentBySecond = new long[(int)Math.Ceiling(duration.TotalSeconds) + 2];

    public long TotalSent => Interlocked.Read(ref _totalSent);

    /// <summary>A call was started, due in second <paramref name="second"/> of the run.</summary>
    public void Sent(int second)
    {
        Interlocked.Increment(ref _sentBySecond[Math.Clamp(second, 0, _sentBySecond.Length - 1)]);
        Interlocked.Increment(ref _totalSent);
    }

    /// <summary>A call was due but the cap on outstanding calls was reached.</summary>
    public void Dropped()
    {
        lock (_gate)
        {
            _secondDropped++;
            _totalDropped++;
            _stepErrors++;
            Count("dropped");
        }
    }

    /// <summary>An answer (status, or <paramref name="error"/> for a call that got none) after <paramref name="elapsedTicks"/> Stopwatch ticks.</summary>
    public void Answer(int status, string? error, long elapsedTicks)
    {
        var micros = Math.Clamp(elapsedTicks * 1_000_000 / Stopwatch.Frequency, 1, HighestMicros);
        var ok = error is null && status is >= 200 and < 300;
        lock (_gate)
        {
            _second.RecordValue(micros);
            _step.RecordValue(micros);
            _total.RecordValue(micros);
            if (ok)
            {
                _secondOk++;
                _stepOk++;
                _totalOk++;
            }
            else
            {
                _stepErrors++;
                Count(error ?? (status is >= 0 and < 600 ? StatusKeys[status] : "other"));
            }
        }
    }

    /// <summary>Closes second <paramref name="t"/> (answers that arrived since the last close).</summary>
    public StressSecond CloseSecond(int t, DateTimeOffset time, double offered, double seconds = 1)
    {
        lock (_gate)
        {
            var s = new StressSecond
            {
                T = t,
                Time = time,
                OfferedQps = offered,
                Sent = Interlocked.Read(ref _sentBySecond[Math.Clamp(t, 0, _sentBySecond.Length - 1)]),
                Ok = _secondOk,
                Errors = _secondErrorCount + _secondDropped,
                Dropped = _secondDropped,
                ErrorsByStatus = new Dictionary<string, long>(_secondErrors, StringComparer.Ordinal),
                AchievedQps = _secondOk / Math.Max(seconds, 0.001),
                P50Ms = Ms(_second, 50),
                P90Ms = Ms(_second, 90),
                P99Ms = Ms(_second, 99),
                MaxMs = _second.TotalCount == 0 ? 0 : _second.GetMaxValue() / 1000.0,
            };
            _second.Reset();
            _secondErrors.Clear();
            _secondOk = _secondErrorCount = _secondDropped = 0;
            return s;
        }
    }

    /// <summary>Closes a ramp step that lasted <paramref name="length"/> at <paramref name="offered"/> calls per second.</summary>
    public StepObservation CloseStep(double offered, TimeSpan length)
    {
        lock (_gate)
        {
            var o = new StepObservation(offered, _stepOk / Math.Max(length.TotalSeconds, 0.001), _stepOk, _stepErrors, Ms(_step, 99));
            _step.Reset();
            _stepOk = _stepErrors = 0;
            return o;
        }
    }

    /// <summary>Fills the totals of the whole run into <paramref name="summary"/>.</summary>
    public void Summarise(StressSummary summary)
    {
        lock (_gate)
        {
            summary.Sent = TotalSent;
            summary.Ok = _totalOk;
            summary.Errors = _totalErrorCount + _totalDropped;
            summary.Dropped = _totalDropped;
            summary.ErrorsByStatus = new Dictionary<string, long>(_totalErrors, StringComparer.Ordinal);
            summary.AchievedQps = summary.Seconds > 0 ? _totalOk / summary.Seconds : 0;
            summary.P50Ms = Ms(_total, 50);
            summary.P90Ms = Ms(_total, 90);
            summary.P99Ms = Ms(_total, 99);
            summary.P999Ms = Ms(_total, 99.9);
            summary.MaxMs = _total.TotalCount == 0 ? 0 : _total.GetMaxValue() / 1000.0;
        }
    }

    private void Count(string key)
    {
        if (key != "dropped")
        {
            _secondErrorCount++;
            _totalErrorCount++;
        }

        _secondErrors[key] = _secondErrors.GetValueOrDefault(key) + 1;
        _totalErrors[key] = _totalErrors.GetValueOrDefault(key) + 1;
    }

    private static double Ms(LongHistogram h, double percentile) =>
        h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;
}
