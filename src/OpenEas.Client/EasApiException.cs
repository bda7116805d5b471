using System.Net;
using OpenEas.Contracts;

namespace OpenEas.Client;

/// <summary>The control API answered with an error (a ProblemDetails body), or could not be reached.</summary>
public sealed class EasApiException : Exception
{
    public EasApiException(HttpStatusCode? status, string? code, string message, IReadOnlyList<SpecIssue> errors, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Code = code;
        Errors = errors;
    }

    /// <summary>The HTTP status, or null when the server could not be reached.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The stable error code (see <see cref="ErrorCodes"/>).</summary>
    public string? Code { get; }

    /// <summary>Field errors of a rejected spec, each with its JSON path.</summary>
    public IReadOnlyList<SpecIssue> Errors { get; }
}
