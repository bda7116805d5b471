using System.Text;
using System.Text.Json;
using OpenEas.Processor.Abstractions;

namespace TextStats;

/// <summary>
/// Answers a UTF-8 text with its word count, its words in upper case and the size of the batch it ran in.
/// <c>model_config</c> may set <c>{"stop_words": ["a", "the"]}</c>: those words are not counted.
/// </summary>
public sealed class TextStatsProcessor : IBatchProcessor
{
    private HashSet<string> _stopWords = [];

    public void Initialize(ProcessorContext context)
    {
        if (context.ModelConfig is { Length: > 0 } config)
        {
            using var doc = JsonDocument.Parse(config);
            if (doc.RootElement.TryGetProperty("stop_words", out var words))
            {
                _stopWords = [.. words.EnumerateArray().Select(w => w.GetString()!.ToLowerInvariant())];
            }
        }
    }

    public byte[] Process(ReadOnlyMemory<byte> request) => Answer(request, 1);

    public IReadOnlyList<byte[]> ProcessBatch(IReadOnlyList<ReadOnlyMemory<byte>> requests) =>
        [.. requests.Select(r => Answer(r, requests.Count))];

    private byte[] Answer(ReadOnlyMemory<byte> request, int batch)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(request.Span);
        }
        catch (DecoderFallbackException)
        {
            throw new ProcessorInputException("the body must be UTF-8 text");
        }

        var words = text.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => !_stopWords.Contains(w.ToLowerInvariant())).ToArray();
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["words"] = words.Length,
            ["upper"] = string.Join(' ', words).ToUpperInvariant(),
            ["batch"] = batch,
        });
    }
}
