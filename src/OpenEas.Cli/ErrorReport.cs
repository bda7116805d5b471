using System.Net;
using OpenEas.Client;
using OpenEas.Contracts;

namespace OpenEas.Cli;

/// <summary>Turns any failure into one readable line (plus field errors) and an exit code; never a stack trace.</summary>
internal static class ErrorReport
{
    /// <param name="ex">What went wrong.</param>
    /// <param name="endpoint">The server address the command talked to.</param>
    /// <param name="service">The service the command was about, when it names one.</param>
    public static (int ExitCode, IReadOnlyList<string> Lines) Describe(Exception ex, string endpoint, string? service)
    {
        switch (ex)
        {
            case CliException cli:
                return (cli.ExitCode, [$"eas: {cli.Message}", .. cli.Details.Select(d => "  " + d)]);

            case EasApiException api:
                var code = ExitCodes.For(api);
                return (code, code switch
                {
                    ExitCodes.Unreachable when api.Code == "Timeout" =>
                        [$"eas: the OpenEAS server at {endpoint} did not answer in time"],
                    ExitCodes.Unreachable when api.Code == "ConnectionLost" => [$"eas: {api.Message}"],
                    ExitCodes.Unreachable =>
                        [$"eas: cannot reach the OpenEAS server at {endpoint} (is 'eas server' running?)"],
                    ExitCodes.InvalidSpec when api.Code == ErrorCodes.InvalidAlertRule =>
                        [$"eas: alert rule rejected: {string.Join("; ", api.Errors.Select(e => e.ToString()))}"],
                    ExitCodes.InvalidSpec when api.Errors.Count > 0 =>
                        ["eas: spec rejected:", .. api.Errors.Select(e => "  " + e)],
                    ExitCodes.InvalidSpec => [$"eas: spec rejected: {api.Message}"],
                    ExitCodes.NotFound when api.Code is ErrorCodes.ServiceNotFound or null && service is not null =>
                        [$"eas: service \"{service}\" not found"],
                    ExitCodes.Unauthorized =>
                        [$"eas: {(api.Status == HttpStatusCode.Forbidden ? "forbidden" : "unauthorized")}: {api.Message} " +
                         "(pass --token or set EAS_ADMIN_TOKEN; 'eas server' writes its token to <data dir>/admin_token)"],
                    _ => [$"eas: {api.Message}"],
                });

            case FileNotFoundException or DirectoryNotFoundException:
                return (ExitCodes.Error, [$"eas: {ex.Message}"]);

            default:
                return (ExitCodes.Error, [$"eas: {ex.Message}"]);
        }
    }
}
