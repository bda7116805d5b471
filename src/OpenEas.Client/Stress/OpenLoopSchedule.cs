namespace OpenEas.Client.Stress;

/// <summary>
/// The arrival schedule of an open loop: at rate r, call i of a phase is due at <c>i / r</c> seconds after the phase
/// began, whatever happened to the calls before it (so a slow answer cannot hold back the next call: no coordinated omission).
/// </summary>
public static class OpenLoopSchedule
{
    /// <summary>How many calls are due by <paramref name="elapsed"/> into a phase at <paramref name="rate"/> per second (call 0 is due at 0).</summary>
    public static long Due(TimeSpan elapsed, double rate)
    {
        if (elapsed < TimeSpan.Zero || rate <= 0)
        {
            return 0;
        }

        return (long)Math.Floor(elapsed.TotalSeconds * rate) + 1;
    }

    /// <summary>How many calls a phase of length <paramref name="length"/> holds (those due strictly before its end).</summary>
    public static long InPhase(TimeSpan length, double rate) =>
        rate <= 0 || length <= TimeSpan.Zero ? 0 : (long)Math.Ceiling((length.TotalSeconds * rate) - 1e-9);

    /// <summary>When call <paramref name="index"/> of a phase is due, after the phase began.</summary>
    public static TimeSpan Intended(long index, double rate) => TimeSpan.FromSeconds(index / rate);
}
