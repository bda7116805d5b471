using OpenEas.Contracts;

namespace OpenEas.Core.Control;

/// <summary>A control-plane request that cannot be done; becomes a ProblemDetails answer.</summary>
public sealed class ControlException(int status, string code, string message, IReadOnlyList<SpecIssue>? errors = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public IReadOnlyList<SpecIssue> Errors { get; } = errors ?? [];

    public static ControlException NotFound(string service) =>
        new(404, ErrorCodes.ServiceNotFound, $"service \"{service}\" not found");

    public static ControlException InvalidSpec(IReadOnlyList<SpecIssue> errors) =>
        new(400, ErrorCodes.InvalidSpec, "the service spec is invalid: " + string.Join("; ", errors), errors);
}
