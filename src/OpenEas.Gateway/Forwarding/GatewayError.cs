namespace OpenEas.Gateway.Forwarding;

/// <summary>Why the gateway answered instead of the service; each maps to the status EAS clients expect.</summary>
public enum GatewayError
{
    ServiceNotFound,
    Unauthorized,
    NoReadyInstance,
    Timeout,
    UpstreamFailed,
    ClientAborted,
}
