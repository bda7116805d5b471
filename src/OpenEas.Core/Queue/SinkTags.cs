namespace OpenEas.Core.Queue;

/// <summary>Tags the dispatcher adds to a result in the sink, next to the input's own (<c>requestId</c> among them).</summary>
public static class SinkTags
{
    /// <summary>The instance's HTTP status, or 0 when no instance answered (it died or timed out too often).</summary>
    public const string Status = "status";

    /// <summary>The input entry's index in the input queue.</summary>
    public const string InputIndex = "inputIndex";

    /// <summary>Deliveries the input took.</summary>
    public const string Deliveries = "deliveries";

    /// <summary>Stored as a tag (a put cannot set it: <c>_name_</c> parameters are not tags), sent as <c>DataFrameProto.message</c>: why the entry is an error (absent on success).</summary>
    public const string Message = "_message_";
}
