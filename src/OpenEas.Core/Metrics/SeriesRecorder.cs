using HdrHistogram;

namespace OpenEas.Core.Metrics;

/// <summary>
/// The live side of one series (a service or an instance): calls are counted into the slot of the second
/// they ended in, a small ring of slots so the collector can close a second while the next one fills.
/// Recording is lock-free except for the once-a-second slot reset.
/// </summary>
internal sealed class SeriesRecorder
{
    /// <summary>Latencies are recorded in microseconds, 1 µs to 1 hour, to 2 significant digits (1 % error).</summary>
    internal const long HighestMicros = 3_600_000_000;

    private const int Slots = 4;
    private readonly Slot[] _slots = new Slot[Slots];
    private readonly Lock _reset = new();

    public SeriesRecorder(string service, string? instance)
    {
        Service = service;
        Instance = instance;
        for (var i = 0; i < Slots; i++)
        {
            _slots[i] = new Slot();
        }
    }

    public string Service { get; }

    public string? Instance { get; }

    /// <summary>Counts one call that arrived in <paramref name="second"/> (the demand, before any queueing).</summary>
    public void Arrive(long second) => Interlocked.Increment(ref SlotOf(second).Arrivals);

    /// <summary>Counts one call that ended in <paramref name="second"/> (Unix seconds).</summary>
    public void Record(long second, int status, bool rejected, long micros, long bytesIn, long bytesOut)
    {
        var slot = SlotOf(second);
        Interlocked.Increment(ref slot.Requests);
        if (rejected)
        {
            Interlocked.Increment(ref slot.Rejected);
        }

        switch (status)
        {
            case < 400:
                Interlocked.Increment(ref slot.Status2xx);
                break;
            case < 500:
                Interlocked.Increment(ref slot.Status4xx);
                break;
            default:
                Interlocked.Increment(ref slot.Status5xx);
                break;
        }

        Interlocked.Add(ref slot.BytesIn, bytesIn);
        Interlocked.Add(ref slot.BytesOut, bytesOut);
        slot.Latency.RecordValue(Math.Clamp(micros, 1, HighestMicros));
    }

    /// <summary>The slot of <paramref name="second"/>, cleared first when it still holds an older second.</summary>
    private Slot SlotOf(long second)
    {
        var slot = _slots[second % Slots];
        if (Volatile.Read(ref slot.Second) != second)
        {
            lock (_reset)
            {
                if (slot.Second != second)
                {
                    slot.Clear();
                    Volatile.Write(ref slot.Second, second);
                }
            }
        }

        return slot;
    }

    /// <summary>Reads the closed second <paramref name="second"/>: its counts and a copy of its latency histogram (empty if nothing was recorded).</summary>
    public (long Requests, long Arrivals, long S2xx, long S4xx, long S5xx, long Rejected, long BytesIn, long BytesOut, HistogramBase Latency) Read(long second)
    {
        var slot = _slots[second % Slots];
        lock (_reset)
        {
            if (slot.Second != second)
            {
                return (0, 0, 0, 0, 0, 0, 0, 0, NewHistogram());
            }

            return (slot.Requests, slot.Arrivals, slot.Status2xx, slot.Status4xx, slot.Status5xx, slot.Rejected, slot.BytesIn, slot.BytesOut, slot.Latency.Copy());
        }
    }

    internal static LongHistogram NewHistogram() => new(HighestMicros, 2);

    private sealed class Slot
    {
        public long Second = -1;
        public long Requests;
        public long Arrivals;
        public long Status2xx;
        public long Status4xx;
        public long Status5xx;
        public long Rejected;
        public long BytesIn;
        public long BytesOut;
        public readonly LongConcurrentHistogram Latency = new(1, HighestMicros, 2);

        public void Clear()
        {
            Requests = Arrivals = Status2xx = Status4xx = Status5xx = Rejected = BytesIn = BytesOut = 0;
            Latency.Reset();
        }
    }
}
