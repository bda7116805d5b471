namespace OpenEas.Core.Hosting;

/// <summary>Settings of the embedded control plane.</summary>
public sealed class EasCoreOptions
{
    /// <summary>The data directory (state.db, instances/, oss/, models/).</summary>
    public string DataDir { get; set; } = ".eas";

    /// <summary>Address services are reachable at, shown as IntranetEndpoint (set by the server once it listens).</summary>
    public string PublicEndpoint { get; set; } = "http://127.0.0.1:8080";

    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the server listens and <see cref="PublicEndpoint"/> is final (work that calls the gateway waits for it).</summary>
    public Task Listening => _listening.Task;

    /// <summary>Sets <see cref="PublicEndpoint"/> and completes <see cref="Listening"/>.</summary>
    public void MarkListening(string endpoint)
    {
        PublicEndpoint = endpoint;
        _listening.TrySetResult();
    }

    /// <summary>Stop every instance when the server shuts down cleanly; false leaves them for the next server to adopt.</summary>
    public bool StopInstancesOnShutdown { get; set; } = true;

    /// <summary>A service not running for this long is deleted by the janitor.</summary>
    public TimeSpan JanitorIdleLimit { get; set; } = TimeSpan.FromDays(180);

    /// <summary>How long before deleting the janitor warns (as an event).</summary>
    public TimeSpan JanitorWarning { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Events older than this are deleted by the janitor.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Overrides the detected host capacity (cores), for tests and shared hosts.</summary>
    public double? CapacityCpu { get; set; }

    /// <summary>Overrides the detected host memory (MB).</summary>
    public long? CapacityMemoryMb { get; set; }

    /// <summary>A log file is rotated when it grows past this size.</summary>
    public long LogRotateBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Rotated log files kept per instance.</summary>
    public int LogFilesKept { get; set; } = 3;

    public string StatePath => Path.Combine(DataDir, "state.db");

    public string InstancesDir => Path.Combine(DataDir, "instances");
}
