namespace OpenEas.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl-C stops the verb cleanly (exit 130); a second one ends the process.
            if (!cts.IsCancellationRequested)
            {
                e.Cancel = true;
                cts.Cancel();
            }
        };
        return await CliApp.RunAsync(args, Console.Out, Console.Error, Console.In, cts.Token);
    }
}
