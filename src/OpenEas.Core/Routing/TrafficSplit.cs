using System.IO.Hashing;
using System.Text;

namespace OpenEas.Core.Routing;

/// <summary>Sticky routing: the request header or cookie whose value names the user (one of the two).</summary>
public sealed record StickyKey(string? Header, string? Cookie)
{
    public override string ToString() => Header is not null ? "header " + Header : "cookie " + Cookie;
}

/// <summary>One member of a split and its weight (0-100; a member at 0 gets no share of the traffic).</summary>
public sealed record SplitMember(string Service, int Weight);

/// <summary>
/// One endpoint spread over several services by weight: a service group (<c>/api/predict/{group}</c>) or a service
/// while a canary of it takes part of its traffic. Immutable apart from its position in the schedule; the
/// route table swaps a whole new split on every change, so a weight change is atomic for the gateway.
/// </summary>
public sealed class TrafficSplit
{
    private readonly int[] _schedule;
    private long _next = -1;

    /// <param name="name">The name called: a group, or the service a canary splits.</param>
    /// <param name="authServices">The services whose token opens the split (a group: any member's; a canary: the service's own).</param>
    public TrafficSplit(string name, IReadOnlyList<SplitMember> members, IReadOnlyList<string> authServices, StickyKey? sticky)
    {
        Name = name;
        Members = [.. members.Select(m => m.Service)];
        Weights = [.. members.Select(m => m.Weight)];
        AuthServices = [.. authServices];
        Sticky = sticky;
        _schedule = WeightMath.Schedule(Weights);
    }

    public string Name { get; }

    public string[] Members { get; }

    public int[] Weights { get; }

    public string[] AuthServices { get; }

    public StickyKey? Sticky { get; }

    public bool IsMember(string service) => Array.IndexOf(Members, service) >= 0;

    /// <summary>The next member by smooth weighted round-robin (exact over each window); -1 when every weight is 0.</summary>
    public int PickNext()
    {
        if (_schedule.Length == 0)
        {
            return -1;
        }

        var n = (ulong)Interlocked.Increment(ref _next);
        return _schedule[(int)(n % (ulong)_schedule.Length)];
    }

    /// <summary>The member a sticky key maps to: the same key reaches the same member while the weights stay.</summary>
    public int PickSticky(ReadOnlySpan<char> key) => WeightMath.StickyIndex(WeightMath.Hash(key), Weights);

    /// <summary>True when <paramref name="other"/> routes exactly like this one (so the old object, and its schedule position, can stay).</summary>
    public bool SameAs(TrafficSplit other) =>
        Name == other.Name && Sticky == other.Sticky && Members.AsSpan().SequenceEqual(other.Members)
        && Weights.AsSpan().SequenceEqual(other.Weights) && AuthServices.AsSpan().SequenceEqual(other.AuthServices);
}

/// <summary>The weight arithmetic of traffic splits: pure functions, tested in tables.</summary>
public static class WeightMath
{
    /// <summary>
    /// One window of nginx's smooth weighted round-robin over the weights divided by their gcd: each member appears
    /// exactly weight/gcd times per window, spread out rather than in runs (90/10 → nine of A, one of B, in every ten calls).
    /// </summary>
    public static int[] Schedule(IReadOnlyList<int> weights)
    {
        var gcd = 0;
        foreach (var w in weights)
        {
            if (w < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(weights), "weights must be >= 0");
            }

            gcd = Gcd(gcd, w);
        }

        if (gcd == 0)
        {
            return [];
        }

        var reduced = weights.Select(w => w / gcd).ToArray();
        var total = reduced.Sum();
        var current = new int[reduced.Length];
        var schedule = new int[total];
        for (var slot = 0; slot < total; slot++)
        {
            var best = -1;
            for (var i = 0; i < reduced.Length; i++)
            {
                current[i] += reduced[i];
                if (reduced[i] > 0 && (best < 0 || current[i] > current[best]))
                {
                    best = i;
                }
            }

            current[best] -= total;
            schedule[slot] = best;
        }

        return schedule;
    }

    /// <summary>
    /// Maps a key's hash onto the members' weight ranges, laid out in member order. Raising one member's weight only
    /// moves keys onto it from its neighbours; keys already on it stay.
    /// </summary>
    public static int StickyIndex(ulong hash, IReadOnlyList<int> weights)
    {
        long total = 0;
        foreach (var w in weights)
        {
            total += w;
        }

        if (total == 0)
        {
            return -1;
        }

        var point = (long)(hash % (ulong)total);
        for (var i = 0; i < weights.Count; i++)
        {
            if (point < weights[i])
            {
                return i;
            }

            point -= weights[i];
        }

        return weights.Count - 1;
    }

    /// <summary>A stable hash of a sticky key (the same across restarts and servers).</summary>
    public static ulong Hash(ReadOnlySpan<char> key)
    {
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(key.Length) <= buffer.Length ? buffer : new byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var n = Encoding.UTF8.GetBytes(key, bytes);
        return XxHash3.HashToUInt64(bytes[..n]);
    }

    /// <summary>True for exactly <paramref name="percent"/> of every 100 consecutive <paramref name="n"/> (n counts from 1).</summary>
    public static bool Sampled(long n, int percent) => percent >= 100 || (percent > 0 && n * percent / 100 != (n - 1) * percent / 100);

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}

/// <summary>Copies a share of a service's calls to test services (<c>eas mirror</c>).</summary>
public sealed class MirrorRule
{
    private long _seen;

    public MirrorRule(string source, IReadOnlyList<string> targets, int percent)
    {
        Source = source;
        Targets = [.. targets];
        Percent = percent;
    }

    public string Source { get; }

    public string[] Targets { get; }

    /// <summary>0-100: the share of calls copied, exact over every 100 calls.</summary>
    public int Percent { get; }

    /// <summary>Counts a call; true when this one is to be copied.</summary>
    public bool Sample() => WeightMath.Sampled(Interlocked.Increment(ref _seen), Percent);

    public bool SameAs(MirrorRule other) => Source == other.Source && Percent == other.Percent && Targets.AsSpan().SequenceEqual(other.Targets);
}
