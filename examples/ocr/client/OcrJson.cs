using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OpenEas.Examples.Ocr;

/// <summary>The client's <c>--json</c> output: <c>{"width", "height", "lines": [{"text", "score", "box": [[x, y] ×4]}], "timing_ms": {…}}</c>.</summary>
internal static class OcrJson
{
    public static string Write(OcrResult result)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("width", result.Width);
            json.WriteNumber("height", result.Height);
            json.WriteStartArray("lines");
            foreach (var line in result.Lines)
            {
                json.WriteStartObject();
                json.WriteString("text", line.Text);
                json.WriteNumber("score", Math.Round(line.Score, 4));
                json.WriteStartArray("box");
                foreach (var p in line.Box)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(p.X);
                    json.WriteNumberValue(p.Y);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("timing_ms");
            json.WriteNumber("detection", Math.Round(result.Detection.TotalMilliseconds, 1));
            json.WriteNumber("recognition", Math.Round(result.Recognition.TotalMilliseconds, 1));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
