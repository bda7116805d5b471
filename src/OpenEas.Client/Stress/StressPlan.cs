using System.Globalization;

namespace OpenEas.Client.Stress;

/// <summary>How a stress run makes load.</summary>
public enum StressMode
{
    /// <summary>Open loop at a fixed arrival rate.</summary>
    Rate,

    /// <summary>Open loop, the rate raised step by step until a limit is hit.</summary>
    Ramp,

    /// <summary>Closed loop: a fixed number of callers, each calling again when answered (peak throughput).</summary>
    Concurrency,
}

/// <summary>What to load, how, and for how long at most. <see cref="Validate"/> enforces the hard bounds.</summary>
public sealed record StressPlan
{
    /// <summary>The longest run allowed.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);

    /// <summary>The service's name (for the report; the load goes to <see cref="Target"/> only).</summary>
    public required string Service { get; init; }

    /// <summary>The service's gateway URL, <c>…/api/predict/&lt;service&gt;[/path]</c>.</summary>
    public required Uri Target { get; init; }

    /// <summary>The service token sent as <c>Authorization</c> (null for anonymous services).</summary>
    public string? Token { get; init; }

    public ReadOnlyMemory<byte> Body { get; init; }

    public HttpMethod Method { get; init; } = HttpMethod.Post;

    public StressMode Mode { get; init; }

    /// <summary>Calls per second (<see cref="StressMode.Rate"/>).</summary>
    public double Rate { get; init; }

    public RampPlan? Ramp { get; init; }

    /// <summary>Callers (<see cref="StressMode.Concurrency"/>).</summary>
    public int Concurrency { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ramp: a step whose p99 is over this fails.</summary>
    public TimeSpan Slo { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Ramp: a step with a larger share of errors fails.</summary>
    public double MaxErrorRate { get; init; } = 0.01;

    /// <summary>Open loop: connections kept to the gateway at most (calls beyond them wait for one, their wait counted).</summary>
    public int Connections { get; init; } = 64;

    /// <summary>Open loop: calls in flight at most; a call due while this many are out is dropped and counted as an error.</summary>
    public int MaxOutstanding { get; init; } = 1000;

    /// <summary>Calls sent at most over the run.</summary>
    public long MaxRequests { get; init; } = 10_000_000;

    /// <summary>One call's time limit; a call over it counts as a "timeout" error.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The mode in words, e.g. <c>rate 200/s</c>.</summary>
    public string Describe() => Mode switch
    {
        StressMode.Rate => string.Create(CultureInfo.InvariantCulture, $"rate {Rate:0.##}/s"),
        StressMode.Ramp => $"ramp {Ramp}",
        _ => string.Create(CultureInfo.InvariantCulture, $"concurrency {Concurrency}"),
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of bounds.</summary>
    public void Validate()
    {
        if (Duration <= TimeSpan.Zero || Duration > MaxDuration)
        {
            throw new ArgumentException("duration must be more than 0 and at most 1h");
        }

        switch (Mode)
        {
            case StressMode.Rate when Rate is <= 0 or > 1_000_000:
                throw new ArgumentException("rps must be more than 0 and at most 1000000");
            case StressMode.Ramp when Ramp is null:
                throw new ArgumentException("ramp needs start:step:every");
            case StressMode.Ramp when Ramp.RateOf((int)(Duration / Ramp.Every)) > 1_000_000:
                throw new ArgumentException("ramp would go past 1000000 calls per second within the duration");
            case StressMode.Concurrency when Concurrency is < 1 or > 10_000:
                throw new ArgumentException("concurrency must be 1-10000");
        }

        if (Connections is < 1 or > 10_000 || MaxOutstanding < 1 || MaxRequests < 1 || Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("connections (1-10000), max outstanding, max requests and timeout must be positive");
        }

        if (MaxErrorRate is < 0 or > 1 || Slo <= TimeSpan.Zero)
        {
            throw new ArgumentException("max errors must be 0-100% and the SLO positive");
        }
    }
}
