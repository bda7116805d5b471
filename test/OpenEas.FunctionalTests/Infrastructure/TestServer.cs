using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.Server;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>A real OpenEAS server on 127.0.0.1:0 over a fresh data dir, with an SDK client.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string Admin = "test-admin-token-0123456789";

    // A data dir the caller passed in outlives this server (a restart test starts a second one over it): only a dir this
    // server created is deleted with it.
    private readonly bool _ownsDataDir;

    private TestServer(EasServer server, string dataDir, bool ownsDataDir)
    {
        Server = server;
        DataDir = dataDir;
        _ownsDataDir = ownsDataDir;
        Client = new EasClient(server.Endpoint, Admin);
    }

    public EasServer Server { get; }
    public string DataDir { get; }
    public EasClient Client { get; }
    public string Endpoint => Server.Endpoint;

    public static async Task<TestServer> StartAsync(string? dataDir = null, Action<ServerOptions>? configure = null)
    {
        var owns = dataDir is null;
        dataDir ??= NewDataDir();
        var options = new ServerOptions
        {
            Listen = "127.0.0.1:0",
            DataDir = dataDir,
            AdminToken = Admin,
            Output = TextWriter.Null,
            CapacityCpu = 8,
            CapacityMemoryMb = 8192,
            LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
        };
        configure?.Invoke(options);
        var server = await EasServer.StartAsync(options);
        return new TestServer(server, dataDir, owns);
    }

    public static string NewDataDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "openeas-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>An echo service spec (the examples/echo-py program) with the given name and instances.</summary>
    public static string EchoSpec(string name, int instances = 1, string version = "1", double cpu = 0.1, string extraMetadata = "") => $$"""
        {
          "name": "{{name}}",
          "containers": [{ "script": "exec python3 {{Repo.EchoApp}}", "port": 8000,
                           "env": [{ "name": "ECHO_VERSION", "value": "{{version}}" }] }],
          "metadata": { "instance": {{instances}}, "cpu": {{cpu}}, "memory": 64 {{extraMetadata}} }
        }
        """;

    /// <summary>A spec running one of the test programs (Programs/*.py) with the given metadata (JSON members).</summary>
    public static string ProgramSpec(string name, string program, int instances = 1, string metadata = "") => $$"""
        {
          "name": "{{name}}",
          "containers": [{ "script": "exec python3 {{Path.Combine(AppContext.BaseDirectory, "Programs", program)}}" }],
          "metadata": { "instance": {{instances}}, "cpu": 0.1, "memory": 64 {{(metadata.Length > 0 ? ", " + metadata : "")}} }
        }
        """;

    public Task<ServiceDescription> WaitForStatusAsync(string name, string status, int running = -1, double seconds = 60) =>
        Poll.UntilAsync(() => Client.DescribeServiceAsync(name),
            d => d.Status == status && (running < 0 || d.RunningInstance == running), TimeSpan.FromSeconds(seconds),
            $"service {name} to be {status}" + (running >= 0 ? $" with {running} running" : ""));

    public async Task<PredictResult> PredictAsync(string name, string body, string? token = null)
    {
        token ??= (await Client.DescribeServiceAsync(name)).AccessToken;
        return await Client.PredictAsync(name, token, System.Text.Encoding.UTF8.GetBytes(body));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        if (_ownsDataDir)
        {
            DeleteDataDir(DataDir);
        }
    }

    /// <summary>Deletes a data dir once no server uses it (a file an exiting instance still writes may keep it; the temp dir is swept).</summary>
    public static void DeleteDataDir(string dataDir)
    {
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
