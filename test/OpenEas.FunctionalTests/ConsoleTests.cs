using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpenEas.FunctionalTests;

/// <summary>The web console at <c>/</c>, in a real browser against a real server, and its files over plain HTTP.</summary>
/// <remarks>Run alone: a browser costs CPU that the timing-sensitive tests of other classes should not have to share.</remarks>
[Collection(nameof(ConsoleTests))]
[CollectionDefinition(nameof(ConsoleTests), DisableParallelization = true)]
public class ConsoleTests(ITestOutputHelper output)
{
    private static readonly LocatorAssertionsToHaveCountOptions Slow = new() { Timeout = 60_000 };

    [Fact]
    public async Task A_user_signs_in_creates_from_an_example_calls_watches_scales_and_deletes_a_service()
    {
        await using var server = await TestServer.StartAsync();
        await using var browser = await ConsoleBrowser.StartAsync();
        var page = browser.Page;

        // Sign in: a wrong token is refused on the page, the admin token opens the (empty) services list.
        await page.GotoAsync(server.Endpoint + "/");
        await page.FillAsync("input[name=token]", "not-the-token");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator(".error-box")).ToContainTextAsync("not the admin token");
        await page.FillAsync("input[name=token]", TestServer.Admin);
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator(".empty")).ToContainTextAsync("No services yet");

        // Create from the echo-py example; first with a bad port, whose finding shows under the field and on its JSON line.
        await page.ClickAsync("[data-action=create]");
        await page.ClickAsync("[data-example=echo-py]");
        await Expect(page.Locator("textarea[name=spec]")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"name\": \"echo\""));
        await page.FillAsync("input[name='containers[0].port']", "70000");
        await page.ClickAsync("[data-action=submit-create]");
        var portError = page.Locator("[data-field='containers[0].port'] .field-error");
        await Expect(portError).ToContainTextAsync("1-65535");
        var inline = page.Locator(".inline-error[data-path='containers[0].port']");
        await Expect(inline).ToBeVisibleAsync();
        var portLine = await page.EvaluateAsync<int>(
            "() => document.querySelector('textarea[name=spec]').value.split('\\n').findIndex(l => l.includes('\"port\"')) + 1");
        Assert.Equal(portLine.ToString(CultureInfo.InvariantCulture), (await page.Locator(".gutter .bad").First.TextContentAsync())?.Trim());
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(server, "/api/v2/services/echo"));
        await browser.ShotAsync("create-spec-error");

        await page.FillAsync("input[name='containers[0].port']", "8000");
        await page.ClickAsync("[data-action=submit-create]");
        // The console moves by its hash: poll the URL (waiting for a navigation's load event can miss a hash change
        // that happened before the wait began).
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/services/echo$"));
        await Expect(page.Locator("h1 .badge")).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = 60_000 });
        await Expect(page.Locator("[data-fact=instances]")).ToContainTextAsync("1 running");
        await browser.ShotAsync("service-overview");

        // The debugging form calls the service through the gateway and shows the echoed body.
        await page.ClickAsync("[data-tab=debug]");
        await page.FillAsync("textarea[name=body]", "hello from the console");
        await page.ClickAsync("[data-action=send]");
        await Expect(page.Locator("[data-status]")).ToHaveTextAsync("200");
        await Expect(page.Locator("[data-response-body]")).ToHaveTextAsync("hello from the console");
        await Expect(page.Locator("[data-snippet=curl] pre")).ToContainTextAsync("/api/predict/echo");
        await browser.ShotAsync("debug");

        // Traffic, then the QPS chart draws it.
        var token = (await server.Client.DescribeServiceAsync("echo")).AccessToken;
        await page.ClickAsync("[data-tab=monitoring]");
        var qps = page.Locator("[data-chart=qps]");
        await Poll.UntilAsync(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await server.PredictAsync("echo", "load", token)).Status);
            }

            return double.Parse(await qps.GetAttributeAsync("data-max") ?? "0", CultureInfo.InvariantCulture);
        }, max => max > 0, TimeSpan.FromSeconds(30), "the QPS chart to draw calls");
        await Expect(qps.Locator("canvas")).ToHaveCountAsync(1);
        Assert.True(int.Parse(await qps.GetAttributeAsync("data-points") ?? "0", CultureInfo.InvariantCulture) > 0);

        // Scale to 2 (with confirmation): two Ready instances.
        await page.FillAsync("[data-form=scale] input[name=instance]", "2");
        await page.ClickAsync("[data-action=scale]");
        await page.ClickAsync("dialog [data-confirm]");
        await page.ClickAsync("[data-tab=instances]");
        await Expect(page.Locator("[data-table=instances] tbody tr .badge[data-state=Ready]")).ToHaveCountAsync(2, Slow);
        await browser.ShotAsync("instances");

        // Logs follow the instances' output.
        await page.ClickAsync("[data-tab=logs]");
        await Expect(page.Locator("[data-logs]")).ToContainTextAsync("listening on 127.0.0.1");
        await browser.ShotAsync("logs");
        await page.ClickAsync("[data-tab=events]");
        await Expect(page.Locator("[data-table=events]")).ToBeVisibleAsync();
        await page.ClickAsync("[data-tab=versions]");
        await Expect(page.Locator("[data-table=versions] tbody tr")).ToHaveCountAsync(1);

        // The list shows it live: 2/2 instances.
        await page.ClickAsync("[data-nav='/services']");
        await Expect(page.Locator("[data-service=echo] [data-col=instances]")).ToHaveTextAsync("2/2");
        await browser.ShotAsync("services");

        // A short stress job from the console: it runs, finishes, and offers its report.
        await page.ClickAsync("[data-nav='/stress']");
        await page.FillAsync("[data-form=stress] input[name=value]", "20");
        await page.FillAsync("[data-form=stress] input[name=duration]", "3s");
        await page.ClickAsync("[data-action=launch]");
        await Expect(page.Locator("h1 .badge")).ToHaveAttributeAsync("data-state", "Succeeded", new() { Timeout = 60_000 });
        await Expect(page.Locator("[data-action=report]")).ToBeVisibleAsync();
        Assert.True(double.Parse(await page.Locator("[data-chart=stress-qps]").GetAttributeAsync("data-max") ?? "0", CultureInfo.InvariantCulture) > 0);
        await browser.ShotAsync("stress-job");
        await page.ClickAsync("[data-nav='/stress']");
        await Expect(page.Locator("[data-table=jobs] tbody tr")).ToHaveCountAsync(1);
        await browser.ShotAsync("stress-list");

        // The charts after the job's load (a picture for the reviewer; the QPS chart was checked above).
        await page.GotoAsync(server.Endpoint + "/#/services/echo/monitoring");
        await Expect(page.Locator("[data-chart=qps] canvas")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-chart=latency]")).Not.ToHaveAttributeAsync("data-max", "0");
        await browser.ShotAsync("monitoring");

        await page.ClickAsync("[data-nav='/alerts']");
        await Expect(page.Locator("[data-form=alert]")).ToBeVisibleAsync();
        await page.ClickAsync("[data-nav='/resources']");
        await Expect(page.Locator("[data-resource=public]")).ToBeVisibleAsync();
        await browser.ShotAsync("resources");

        // Delete, confirmed by typing the name: gone from the list and from the API.
        await page.GotoAsync(server.Endpoint + "/#/services/echo");
        await page.ClickAsync("[data-action=delete]");
        await Expect(page.Locator("dialog [data-confirm]")).ToBeDisabledAsync();
        await page.FillAsync("dialog input[name=confirm-name]", "echo");
        await page.ClickAsync("dialog [data-confirm]");
        // The page moves to the list once the delete is answered (the instances drain first): a hash change, no load event.
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/services$"), new() { Timeout = 60_000 });
        await Expect(page.Locator("[data-service=echo]")).ToHaveCountAsync(0, Slow);
        await Poll.UntilAsync(() => StatusOfAsync(server, "/api/v2/services/echo"), s => s == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(60), "echo to be deleted");

        Assert.True(browser.PageErrors.Count == 0, "the page logged errors:\n" + string.Join('\n', browser.PageErrors.Distinct()));
    }

    [Fact]
    public async Task A_user_edits_the_spec_diffs_and_switches_versions_and_sets_alerts_and_the_autoscaler()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("web"));
        await server.WaitForStatusAsync("web", ServiceStates.Running, running: 1);
        await using var browser = await ConsoleBrowser.StartAsync();
        var page = browser.Page;
        await SignInAsync(page, server, "/#/services/web/spec");

        // Edit the spec: a new version, rolled out.
        var spec = page.Locator("textarea[name=service-spec]");
        var text = await spec.InputValueAsync();
        await spec.FillAsync(text.Replace("\"value\": \"1\"", "\"value\": \"2\"", StringComparison.Ordinal));
        await page.ClickAsync("[data-action=save-spec]");
        await page.ClickAsync("dialog [data-confirm]");
        await Expect(page.Locator("[data-result]")).ToContainTextAsync("Version 2 is rolling out");
        await server.WaitForStatusAsync("web", ServiceStates.Running, running: 1);

        // Versions: the diff shows the changed value; switching back to 1 rolls back.
        await page.ClickAsync("[data-tab=versions]");
        await Expect(page.Locator("[data-table=versions] tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-diff] .del")).ToContainTextAsync("\"value\": \"1\"");
        await Expect(page.Locator("[data-diff] .add")).ToContainTextAsync("\"value\": \"2\"");
        await browser.ShotAsync("versions");
        await page.ClickAsync("[data-version='1'] [data-action=switch]");
        await page.ClickAsync("dialog [data-confirm]");
        await Poll.UntilAsync(() => server.Client.DescribeServiceAsync("web"), d => d.CurrentVersion == 1, TimeSpan.FromSeconds(30), "version 1 to be current");

        // Alerts: a wrong rule is refused with the part that is wrong; a right one is listed with its state, then deleted.
        await page.ClickAsync("[data-tab=alerts]");
        await page.FillAsync("[data-form=alert] input[name=expr]", "p99 > 200GB");
        await page.ClickAsync("[data-form=alert] button[type=submit]");
        await Expect(page.Locator("[data-form=alert] .error-box")).ToContainTextAsync("GB");
        await page.FillAsync("[data-form=alert] input[name=expr]", "p99 > 200ms for 30s");
        await page.ClickAsync("[data-form=alert] button[type=submit]");
        await Expect(page.Locator("[data-table=alerts] tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-table=alerts] code")).ToHaveTextAsync("p99 > 200ms for 30s");
        await browser.ShotAsync("alerts");
        await page.ClickAsync("[data-table=alerts] button.danger");
        await page.ClickAsync("dialog [data-confirm]");
        await Expect(page.Locator("[data-table=alerts]")).ToHaveCountAsync(0);
        Assert.Empty(await server.Client.ListAlertsAsync("web"));

        // Autoscaler: a finding shows on its line; a valid one is in force (set with the API), then turned off.
        await page.ClickAsync("[data-tab=scaling]");
        var autoscaler = page.Locator("[data-setting=autoscaler]");
        await autoscaler.Locator("textarea").FillAsync("{\n  \"min\": 1,\n  \"max\": 0\n}");
        await page.ClickAsync("[data-action=save-autoscaler]");
        await Expect(autoscaler.Locator(".inline-error")).ToBeVisibleAsync();
        Assert.Equal("3", (await autoscaler.Locator(".gutter .bad").First.TextContentAsync())?.Trim());
        await autoscaler.Locator("textarea").FillAsync("{\n  \"min\": 1,\n  \"max\": 3,\n  \"scaleStrategies\": [{ \"metricName\": \"qps\", \"threshold\": 100 }]\n}");
        await page.ClickAsync("[data-action=save-autoscaler]");
        await Expect(autoscaler.Locator("h3 .badge")).ToHaveTextAsync("set with the API");
        Assert.Equal("api", (await server.Client.GetAutoscalerAsync("web"))["source"]?.GetValue<string>());
        await browser.ShotAsync("scaling");
        await autoscaler.Locator("button.danger").ClickAsync();
        await page.ClickAsync("dialog [data-confirm]");
        await Expect(autoscaler.Locator("h3 .badge")).ToHaveTextAsync("off");

        // A schedule alone: the overview lists its jobs and next firing (and no autoscaler line).
        await server.Client.SetCronScalerAsync("web", """{"ScaleJobs": [{"Name": "morning", "Schedule": "0 0 9 * * *", "TargetSize": 2}]}""");
        await page.ClickAsync("[data-tab=overview]");
        await Expect(page.Locator("[data-fact=scheduled]")).ToContainTextAsync("morning \"0 0 9 * * *\" → 2 (UTC); next: morning → 2 at ");
        await Expect(page.Locator("dl.facts dt", new() { HasText = "Autoscaler" })).ToHaveCountAsync(0);

        Assert.True(browser.PageErrors.Count == 0, "the page logged errors:\n" + string.Join('\n', browser.PageErrors.Distinct()));
    }

    /// <summary>The console's pure functions (JSON path to line, merge patch, diff) under node's test runner.</summary>
    [Fact]
    public async Task The_console_logic_passes_its_table_tests()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("node")
        {
            WorkingDirectory = Path.Combine(Repo.Root, "src", "OpenEas.Server", "WebConsole"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--test", "--test-reporter=tap", "test/" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var node = System.Diagnostics.Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await node.WaitForExitAsync(timeout.Token);
        output.WriteLine(await stdout);
        Assert.True(node.ExitCode == 0, $"node --test failed ({node.ExitCode}):\n{await stdout}\n{await stderr}");
        var passed = System.Text.RegularExpressions.Regex.Match(await stdout, @"^# pass (\d+)$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(passed.Success && int.Parse(passed.Groups[1].Value, CultureInfo.InvariantCulture) > 0, "node ran no test");
        Assert.Contains("# fail 0", await stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_page_and_its_bundle_are_served_compressed_and_cacheable()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None });

        var index = await http.GetAsync(server.Endpoint + "/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", index.Headers.CacheControl?.ToString());
        var html = await index.Content.ReadAsStringAsync();
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/app-[A-Za-z0-9]+\\.js)\"").Groups[1].Value;
        Assert.NotEmpty(script);

        using var brotli = new HttpRequestMessage(HttpMethod.Get, server.Endpoint + script);
        brotli.Headers.AcceptEncoding.ParseAdd("gzip, br");
        var asset = await http.SendAsync(brotli);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("br", Assert.Single(asset.Content.Headers.ContentEncoding));
        Assert.Contains("immutable", asset.Headers.CacheControl?.ToString());
        var compressed = await asset.Content.ReadAsByteArrayAsync();
        var plain = await http.GetByteArrayAsync(server.Endpoint + script);
        Assert.True(compressed.Length < plain.Length / 2, $"brotli {compressed.Length} bytes of {plain.Length}");
        using (var decoded = new System.IO.Compression.BrotliStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress))
        using (var copy = new MemoryStream())
        {
            await decoded.CopyToAsync(copy);
            Assert.Equal(plain, copy.ToArray());
        }

        using var again = new HttpRequestMessage(HttpMethod.Get, server.Endpoint + script);
        again.Headers.IfNoneMatch.Add(asset.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Endpoint + "/assets/nope.js")).StatusCode);
    }

    [Fact]
    public async Task Examples_are_written_into_the_data_dir_with_their_local_paths_made_absolute()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", TestServer.Admin);
        var examples = JsonDocument.Parse(await http.GetStringAsync(server.Endpoint + "/api/v2/examples")).RootElement;
        var echo = examples.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "echo-py");
        Assert.Contains("echoes", echo.GetProperty("description").GetString());
        var spec = echo.GetProperty("spec");
        Assert.Equal("echo", spec.GetProperty("name").GetString());
        var local = spec.GetProperty("storage")[0].GetProperty("local").GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(server.DataDir, "examples", "echo-py"), local);
        Assert.Equal(await File.ReadAllTextAsync(Repo.EchoApp), await File.ReadAllTextAsync(Path.Combine(local, "app.py")));

        http.DefaultRequestHeaders.Authorization = null;
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(server.Endpoint + "/api/v2/examples")).StatusCode);
    }

    /// <summary>
    /// Not a pass/fail timing: records how long the console takes to load and show the services list on this
    /// machine (cold, then with the bundle cached), for docs/console.md.
    /// </summary>
    [Fact]
    public async Task Page_load_times_are_recorded()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("timing"));
        await using var browser = await ConsoleBrowser.StartAsync();
        var page = browser.Page;
        await SignInAsync(page, server, "/#/services");
        await Expect(page.Locator("[data-service=timing]")).ToBeVisibleAsync();

        // Each page loaded afresh five times (the bundle from the browser's cache after the first), the median kept:
        // "load" is the page's load event, "shown" when its content (from the API) is on screen, both from navigation start.
        var lines = new List<string>();
        foreach (var (label, path, selector) in new[]
        {
            ("services list", "/#/services", "[data-service=timing]"),
            ("service overview", "/#/services/timing", "[data-fact=instances]"),
            ("monitoring charts", "/#/services/timing/monitoring", "[data-chart=qps] canvas"),
        })
        {
            var loads = new List<double>();
            var shown = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                await page.GotoAsync("about:blank");
                await page.GotoAsync(server.Endpoint + path, new() { WaitUntil = WaitUntilState.Load });
                var at = await page.WaitForFunctionAsync("s => document.querySelector(s) ? performance.now() : 0", selector,
                    new() { PollingInterval = 5 });
                shown.Add(await at.JsonValueAsync<double>());
                loads.Add(await page.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].loadEventEnd"));
            }

            loads.Sort();
            shown.Sort();
            lines.Add(FormattableString.Invariant($"{label}: load {loads[2]:0} ms, shown {shown[2]:0} ms (median of 5; load {loads[0]:0}-{loads[4]:0} ms, shown {shown[0]:0}-{shown[4]:0} ms)"));
        }

        lines.Add("load average while measured (2 cores): " + (await File.ReadAllTextAsync("/proc/loadavg")).Trim());
        var report = string.Join('\n', lines);
        output.WriteLine(report);
        Directory.CreateDirectory(ConsoleBrowser.ScreenshotDir);
        await File.WriteAllTextAsync(Path.Combine(ConsoleBrowser.ScreenshotDir, "..", "console-load-times.txt"), report + "\n");
        Assert.Equal(4, lines.Count);
        Assert.True(browser.PageErrors.Count == 0, "the page logged errors:\n" + string.Join('\n', browser.PageErrors.Distinct()));
    }

    [Fact]
    public async Task The_overview_shows_a_service_group_weight_and_mirroring()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("blue", extraMetadata: ", \"group\": \"shop\""));
        await server.Client.CreateServiceAsync(TestServer.EchoSpec("green", extraMetadata: ", \"group\": \"shop\""));
        await server.Client.SetGroupWeightsAsync("shop", new Dictionary<string, int> { ["blue"] = 90, ["green"] = 10 });
        await server.Client.SetMirrorAsync("blue", 20, ["green"]);
        await using var browser = await ConsoleBrowser.StartAsync();
        var page = browser.Page;
        await SignInAsync(page, server, "/#/services/blue");

        await Expect(page.Locator("[data-fact=group]")).ToHaveTextAsync("shop, weight 90", new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-fact=mirror]")).ToHaveTextAsync("20% of calls copied to green");
        await page.GotoAsync(server.Endpoint + "/#/services/green");
        await Expect(page.Locator("[data-fact=group]")).ToHaveTextAsync("shop, weight 10", new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-fact=mirror]")).ToHaveCountAsync(0);
        Assert.True(browser.PageErrors.Count == 0, "the page logged errors:\n" + string.Join('\n', browser.PageErrors.Distinct()));
    }

    private static async Task SignInAsync(IPage page, TestServer server, string then)
    {
        await page.GotoAsync(server.Endpoint + "/");
        await page.FillAsync("input[name=token]", TestServer.Admin);
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator("[data-nav='/services']")).ToBeVisibleAsync();
        await page.GotoAsync(server.Endpoint + then);
    }

    private static async Task<HttpStatusCode> StatusOfAsync(TestServer server, string path)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", TestServer.Admin);
        return (await http.GetAsync(server.Endpoint + path)).StatusCode;
    }
}
