using System.Diagnostics;
using System.Net;
using OpenEas.Client;

namespace OpenEas.Bench.Scaling;

/// <summary>One phase of the load profile: a constant arrival rate for a while.</summary>
internal sealed record LoadPhase(string Name, double Rate, TimeSpan Length);

/// <summary>What one second of the profile saw: calls sent, answers by outcome, and the p99 of their latency.</summary>
internal sealed record LoadSecond(int Second, string Phase, int Sent, int Ok, int Failed, double P99Ms);

/// <summary>
/// An open-loop load generator following a profile of phases: calls start at their intended times whatever the
/// service does, and each latency is measured from the intended start (so queueing is not hidden).
/// </summary>
internal sealed class StepLoad(EasClient client, string service, string token, IReadOnlyList<LoadPhase> phases)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private readonly List<double>[] _latencies = NewBuckets(phases);
    private readonly int[] _ok = new int[Seconds(phases) + 1];
    private readonly int[] _failed = new int[Seconds(phases) + 1];
    private readonly int[] _sent = new int[Seconds(phases) + 1];
    private readonly List<string> _failures = [];

    public IReadOnlyList<string> Failures => _failures;

    public static int Seconds(IReadOnlyList<LoadPhase> phases) => (int)Math.Ceiling(phases.Sum(p => p.Length.TotalSeconds));

    /// <summary>Runs the whole profile, then waits for the last answers; returns the per-second record.</summary>
    public async Task<List<LoadSecond>> RunAsync(Action<int>? onSecond, CancellationToken ct)
    {
        var body = "scaling bench"u8.ToArray();
        var calls = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        var offset = TimeSpan.Zero;
        var lastSecond = -1;
        foreach (var phase in phases)
        {
            var count = (long)Math.Floor(phase.Rate * phase.Length.TotalSeconds);
            for (long i = 0; i < count; i++)
            {
                var intended = offset + TimeSpan.FromSeconds(i / phase.Rate);
                var wait = intended - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, ct);
                }

                var second = (int)intended.TotalSeconds;
                if (second != lastSecond)
                {
                    lastSecond = second;
                    onSecond?.Invoke(second);
                }

                _sent[second]++;
                calls.Add(CallAsync(body, started, intended, second, ct));
            }

            offset += phase.Length;
        }

        await Task.WhenAll(calls);
        var result = new List<LoadSecond>();
        var phaseEnd = TimeSpan.Zero;
        var p = 0;
        for (var s = 0; s < _sent.Length - 1; s++)
        {
            while (p < phases.Count - 1 && s >= (phaseEnd + phases[p].Length).TotalSeconds)
            {
                phaseEnd += phases[p].Length;
                p++;
            }

            var sorted = _latencies[s].Order().ToArray();
            var p99 = sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(0.99 * sorted.Length) - 1, 0, sorted.Length - 1)];
            result.Add(new LoadSecond(s, phases[p].Name, _sent[s], _ok[s], _failed[s], p99));
        }

        return result;
    }

    private async Task CallAsync(byte[] body, long started, TimeSpan intended, int second, CancellationToken ct)
    {
        string? failure = null;
        try
        {
            var answer = await client.PredictAsync(service, token, body, path: "?ms=50", timeout: CallTimeout, ct: ct);
            if (answer.Status != HttpStatusCode.OK)
            {
                failure = $"{(int)answer.Status} {answer.BodyText}";
            }
        }
        catch (HttpRequestException ex)
        {
            failure = ex.Message;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            failure = "timed out";
        }

        var latency = (Stopwatch.GetElapsedTime(started) - intended).TotalMilliseconds;
        lock (_latencies)
        {
            if (failure is null)
            {
                _ok[second]++;
                _latencies[second].Add(latency);
            }
            else
            {
                _failed[second]++;
                if (_failures.Count < 20)
                {
                    _failures.Add($"second {second}: {failure}");
                }
            }
        }
    }

    private static List<double>[] NewBuckets(IReadOnlyList<LoadPhase> phases)
    {
        var buckets = new List<double>[Seconds(phases) + 1];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = [];
        }

        return buckets;
    }
}
