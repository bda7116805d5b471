using OpenEas.Client;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>Specs and calls for Programs/release_app.py: an echo that names its version and may fail or be slow on purpose.</summary>
internal static class ReleaseApp
{
    public static string Script => $"exec python3 {Path.Combine(AppContext.BaseDirectory, "Programs", "release_app.py")}";

    /// <summary>The <c>containers</c> array of a version (also what a release's new spec changes).</summary>
    public static string Containers(string version, int failEvery = 0, int delayMs = 0, string? reply = null) => $$"""
        [{ "script": "{{Script}}",
           "env": [{ "name": "APP_VERSION", "value": "{{version}}" }, { "name": "FAIL_EVERY", "value": "{{failEvery}}" },
                   { "name": "DELAY_MS", "value": "{{delayMs}}" }{{(reply is null ? "" : $$""", { "name": "REPLY", "value": "{{reply}}" }""")}}] }]
        """;

    public static string Spec(string name, string version, string? group = null, int failEvery = 0, int delayMs = 0, string? reply = null) => $$"""
        {
          "name": "{{name}}",
          "containers": {{Containers(version, failEvery, delayMs, reply)}},
          "metadata": { "instance": 1, "cpu": 0.1, "memory": 64 {{(group is null ? "" : $", \"group\": \"{group}\"")}} }
        }
        """;

    /// <summary>The version that answered (its X-App-Version header), or the status when the call failed.</summary>
    public static string VersionOf(PredictResult answer) =>
        answer.IsSuccess ? answer.Headers.FirstOrDefault(h => h.Key.Equals("X-App-Version", StringComparison.OrdinalIgnoreCase)).Value ?? "?"
            : $"status {(int)answer.Status}";

    /// <summary>Calls <paramref name="name"/> <paramref name="count"/> times over a few connections and counts who answered.</summary>
    public static async Task<Dictionary<string, int>> CountVersionsAsync(EasClient client, string name, string token, int count, int concurrency = 8,
        Func<int, IEnumerable<KeyValuePair<string, string>>?>? headers = null)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var answer = await client.PredictAsync(name, token, "x"u8.ToArray(), headers: headers?.Invoke(i));
                var version = VersionOf(answer);
                lock (counts)
                {
                    counts[version] = counts.GetValueOrDefault(version) + 1;
                }
            }
        })));
        return counts;
    }
}
