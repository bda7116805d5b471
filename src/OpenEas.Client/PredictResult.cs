using System.Net;

namespace OpenEas.Client;

/// <summary>What a call to a service answered: status, headers, body and how long it took.</summary>
public sealed class PredictResult
{
    public required HttpStatusCode Status { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }
    public required byte[] Body { get; init; }
    public required TimeSpan Elapsed { get; init; }

    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}
