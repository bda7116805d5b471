using Microsoft.Playwright;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>
/// Headless Debian Chromium (/usr/bin/chromium, from scripts/deps.sh) driven by Playwright, with a laptop-sized page;
/// screenshots go to .build/test-results/screenshots for a reviewer.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    private const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Messages the page logged as errors, and uncaught exceptions: a console page must have none.</summary>
    public List<string> PageErrors { get; } = [];

    public static string ScreenshotDir { get; } = Path.Combine(Repo.Root, ".build", "test-results", "screenshots");

    public static async Task<ConsoleBrowser> StartAsync()
    {
        Assert.True(File.Exists(Chromium), "chromium is missing: scripts/deps.sh installs it (apt-get install chromium)");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
            });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 860 } });
            context.SetDefaultTimeout(20_000);
            var page = await context.NewPageAsync();
            var console = new ConsoleBrowser(playwright, browser, context, page);
            page.PageError += (_, error) => console.PageErrors.Add(error);
            page.Console += (_, message) =>
            {
                // A refused API call (the tests make some on purpose) is logged by the browser itself; the page handles it.
                if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
                {
                    console.PageErrors.Add(message.Text);
                }
            };
            return console;
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A full-page screenshot named <paramref name="name"/>.png; returns its path.</summary>
    public async Task<string> ShotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotDir);
        var path = Path.Combine(ScreenshotDir, $"console-{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
