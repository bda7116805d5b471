using System.Net;
using OpenEas.Client;
using OpenEas.Contracts;

namespace OpenEas.Cli;

/// <summary>The exit codes of <c>eas</c>; scripts may rely on them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int Unauthorized = 4;
    public const int Unreachable = 5;
    public const int InvalidSpec = 6;
    public const int Conflict = 7;
    public const int Cancelled = 130;

    /// <summary>The exit code for a control-API error.</summary>
    public static int For(EasApiException ex) => ex.Status switch
    {
        null => Unreachable,
        HttpStatusCode.NotFound => NotFound,
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => Unauthorized,
        HttpStatusCode.Conflict => Conflict,
        HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity
            when ex.Errors.Count > 0 || ex.Code is ErrorCodes.InvalidSpec or ErrorCodes.MalformedJson => InvalidSpec,
        _ => Error,
    };
}

/// <summary>A failure the CLI itself detected, with the exit code it ends with.</summary>
internal sealed class CliException(int exitCode, string message, IReadOnlyList<string>? details = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>Further lines printed (indented) under the message.</summary>
    public IReadOnlyList<string> Details { get; } = details ?? [];
}
