using System.CommandLine;
using OpenEas.Cli.Output;
using OpenEas.Client;
using OpenEas.Contracts;
using Spectre.Console;

namespace OpenEas.Cli;

/// <summary>The process's streams, and whether stdout is a terminal.</summary>
internal sealed record CliIo(TextWriter Out, TextWriter Err, TextReader In, bool IsTerminal);

/// <summary>Options every verb that talks to a server accepts (declared once on the root, recursive).</summary>
internal sealed class GlobalOptions
{
    public const string DefaultEndpoint = "http://127.0.0.1:8080";

    public Option<string> Endpoint { get; } = new("--endpoint")
    {
        Description = "OpenEAS server address [env EAS_ENDPOINT]",
        Recursive = true,
        HelpName = "url",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EAS_ENDPOINT") is { Length: > 0 } e ? e : DefaultEndpoint,
    };

    public Option<string?> AdminToken { get; } = new("--token", "--admin-token")
    {
        Description = "admin token of the control API [env EAS_ADMIN_TOKEN, else <data dir>/admin_token with data dir $EAS_DATA or ./.eas]",
        Recursive = true,
        HelpName = "token",
    };
}

/// <summary>Everything one verb needs: the streams, the console, the resolved endpoint and token, and the SDK client.</summary>
internal sealed class CliContext : IDisposable
{
    private readonly string? _adminToken;
    private EasClient? _client;

    public CliContext(CliIo io, string endpoint, string? adminToken, TimeProvider time)
    {
        Io = io;
        Endpoint = endpoint;
        _adminToken = adminToken;
        Time = time;
        Console = CreateConsole(io);
    }

    public CliIo Io { get; }

    public TextWriter Out => Io.Out;

    public TextWriter Err => Io.Err;

    public IAnsiConsole Console { get; }

    public string Endpoint { get; }

    public TimeProvider Time { get; }

    /// <summary>The server address as messages show it (normalised as the SDK does).</summary>
    public string DisplayEndpoint =>
        _client?.Endpoint.ToString()
        ?? (Endpoint.Contains("://", StringComparison.Ordinal) ? Endpoint : "http://" + Endpoint).TrimEnd('/') + "/";

    /// <summary>The service the running verb is about (used to word errors such as "not found").</summary>
    public string? Service { get; set; }

    /// <summary>The SDK client, created on first use.</summary>
    public EasClient Client => _client ??= CreateClient(Endpoint, _adminToken);

    /// <summary>The admin token: the option, else <c>EAS_ADMIN_TOKEN</c>, else the file the server writes into its data dir.</summary>
    public static string? ResolveAdminToken(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option.Trim();
        }

        if (Environment.GetEnvironmentVariable("EAS_ADMIN_TOKEN") is { Length: > 0 } env)
        {
            return env.Trim();
        }

        var dataDir = Environment.GetEnvironmentVariable("EAS_DATA") is { Length: > 0 } d ? d : ".eas";
        var file = Path.Combine(dataDir, "admin_token");
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes a warning line to stderr.</summary>
    public void Warn(string message) => Err.WriteLine("warning: " + message);

    public void WriteWarnings(ServiceDescription description)
    {
        foreach (var issue in description.Warnings ?? [])
        {
            Warn(issue.ToString());
        }
    }

    /// <summary>
    /// Polls <c>desc</c> every half second, printing a line on every status or reason change, until the service
    /// is Running (on <paramref name="version"/> when given) or Failed (returned), or the timeout passes (an error).
    /// </summary>
    public async Task<ServiceDescription> WaitRunningAsync(string name, int? version, TimeSpan timeout, TextWriter progress,
        CancellationToken ct)
    {
        var deadline = Time.GetTimestamp() + (long)(timeout.TotalSeconds * Time.TimestampFrequency);
        string? last = null;
        while (true)
        {
            var d = await Client.DescribeServiceAsync(name, ct);
            var key = $"{d.Status}|{d.Reason}|{d.RunningInstance}/{d.TotalInstance}|{d.CurrentVersion}";
            if (key != last)
            {
                progress.WriteLine(Format.Progress(d));
                progress.Flush();
                last = key;
            }

            // Right after a change the server may still describe the service as it was (Running the old version, or with
            // the old instance count after a scale): wait for the new version and for the instance count asked for.
            if (d.Status == ServiceStates.Failed
                || (d.Status == ServiceStates.Running && (version is null || d.CurrentVersion == version) && d.RunningInstance == d.TotalInstance))
            {
                return d;
            }

            if (Time.GetTimestamp() >= deadline)
            {
                var state = d.Status == ServiceStates.Running ? $"running version {d.CurrentVersion}, not {version}" : "still " + d.Status;
                throw new CliException(ExitCodes.Error,
                    $"service \"{name}\" is {state} after {timeout.TotalSeconds:0} s (see 'eas events {name}')");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), Time, ct);
        }
    }

    public void Dispose() => _client?.Dispose();

    private static EasClient CreateClient(string endpoint, string? adminToken)
    {
        try
        {
            return new EasClient(endpoint, adminToken);
        }
        catch (Exception ex) when (ex is ArgumentException or UriFormatException)
        {
            throw new CliException(ExitCodes.Usage, $"--endpoint '{endpoint}' is not a server address (expected e.g. {GlobalOptions.DefaultEndpoint})");
        }
    }

    private static IAnsiConsole CreateConsole(CliIo io)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = io.IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = io.IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(io.Out),
        });
        if (!io.IsTerminal)
        {
            // Redirected output is for scripts and files: never wrap a row.
            console.Profile.Width = 4096;
        }

        return console;
    }
}
