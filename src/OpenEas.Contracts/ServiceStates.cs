namespace OpenEas.Contracts;

/// <summary>Service states, named as EAS names them.</summary>
public static class ServiceStates
{
    public const string Creating = "Creating";
    public const string Waiting = "Waiting";
    public const string Running = "Running";
    public const string Updating = "Updating";
    public const string Scaling = "Scaling";
    public const string Stopping = "Stopping";
    public const string Stopped = "Stopped";
    public const string Starting = "Starting";
    public const string Failed = "Failed";
    public const string Deleting = "Deleting";
}

/// <summary>Instance states.</summary>
public static class InstanceStates
{
    public const string Pending = "Pending";
    public const string Starting = "Starting";
    public const string Ready = "Ready";
    public const string Draining = "Draining";
    public const string Exited = "Exited";
    public const string Failed = "Failed";
}
