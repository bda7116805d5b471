using System.Diagnostics;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>Runs a program to its end with its output captured; killed (with its children) past the timeout.</summary>
internal static class ChildProcess
{
    public sealed record Result(int Code, string Out, string Err);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, Action<ProcessStartInfo>? configure = null)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        configure?.Invoke(start);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + file);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout.TotalSeconds:0} s");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
