namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last = default!;
        while (DateTime.UtcNow < deadline)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"timed out after {timeout.TotalSeconds:0}s waiting for {what}; last seen: {Describe(last)}");
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(condition()), ok => ok, timeout, what);

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        OpenEas.Contracts.ServiceDescription d => $"{d.Status} ({d.Reason}) {d.RunningInstance}/{d.TotalInstance}",
        _ => value.ToString() ?? "",
    };
}
