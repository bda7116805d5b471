using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpenEas.Contracts;

namespace OpenEas.Cli.Output;

/// <summary>Writes SDK objects as indented JSON (<c>--json</c>), with the wire's EAS field names.</summary>
internal static class JsonOutput
{
    /// <summary>The contract's source-generated metadata, indented and without needless escaping.</summary>
    public static EasJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>The same metadata, one object per line (JSONL for verbs that refresh).</summary>
    public static EasJsonContext Compact { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static void Write<T>(TextWriter writer, T value, JsonTypeInfo<T> type)
    {
        writer.WriteLine(JsonSerializer.Serialize(value, type));
        writer.Flush();
    }
}
