namespace OpenEas.Contracts;

/// <summary>Stable machine-readable codes for control-API errors (the ProblemDetails <c>code</c> extension).</summary>
public static class ErrorCodes
{
    public const string InvalidSpec = "InvalidSpec";
    public const string MalformedJson = "MalformedJson";
    public const string ServiceNotFound = "ServiceNotFound";
    public const string ServiceExists = "ServiceExists";
    public const string VersionNotFound = "VersionNotFound";
    public const string InstanceNotFound = "InstanceNotFound";
    public const string Unauthorized = "Unauthorized";
    public const string BadRequest = "BadRequest";
    public const string Conflict = "Conflict";
    public const string InvalidAlertRule = "InvalidAlertRule";
    public const string AlertNotFound = "AlertNotFound";
    public const string JobNotFound = "JobNotFound";
    public const string ResourceNotFound = "ResourceNotFound";
    public const string ResourceExists = "ResourceExists";
    public const string InvalidResource = "InvalidResource";
    public const string GroupNotFound = "GroupNotFound";
    public const string ReleaseNotFound = "ReleaseNotFound";
}

/// <summary>The JSON body of a gateway error (<c>/api/predict/...</c>).</summary>
public sealed class GatewayErrorBody
{
    [System.Text.Json.Serialization.JsonPropertyName("code")]
    public int Code { get; init; }
    [System.Text.Json.Serialization.JsonPropertyName("message")]
    public string Message { get; init; } = "";
    [System.Text.Json.Serialization.JsonPropertyName("requestId")]
    public string RequestId { get; init; } = "";
}
