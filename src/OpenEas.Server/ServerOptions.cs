namespace OpenEas.Server;

/// <summary>How <c>eas server</c> is started.</summary>
public sealed class ServerOptions
{
    /// <summary><c>host:port</c> to listen on; port 0 picks a free one.</summary>
    public string Listen { get; set; } = "127.0.0.1:8080";

    public string DataDir { get; set; } = ".eas";

    /// <summary>The admin token; when null, <c>EAS_ADMIN_TOKEN</c> or the one generated into the data dir.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Spec files to create (or update) once the server is up.</summary>
    public IReadOnlyList<string> Deploy { get; set; } = [];

    /// <summary>Leave instances running on shutdown for the next server to adopt.</summary>
    public bool KeepInstances { get; set; }

    /// <summary>A service not running for this many days is deleted.</summary>
    public double JanitorDays { get; set; } = 180;

    /// <summary>Overrides the detected cores / memory (MB) of the host.</summary>
    public double? CapacityCpu { get; set; }

    /// <summary>Where async services' queues live: null for the embedded SQLite store in the data dir, or <c>redis://host:port</c>.</summary>
    public string? Queue { get; set; }

    public long? CapacityMemoryMb { get; set; }

    /// <summary>The clock (tests pass a fake one).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Where the server prints what a user must see (endpoint, token, deploy results).</summary>
    public TextWriter Output { get; set; } = Console.Out;

    /// <summary>Minimum log level written to the console.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Warning;
}
