namespace OpenEas.Server.Jobs;

/// <summary>How a job host stops with the server: cancel every job, then wait for them (at most 10 s) to record where they were.</summary>
internal static class JobShutdown
{
    public static async Task StopAsync(CancellationTokenSource stopping, IEnumerable<Task?> running, CancellationToken ct)
    {
        await stopping.CancelAsync();
        var tasks = running.OfType<Task>().ToArray();
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(10), ct));
    }
}
