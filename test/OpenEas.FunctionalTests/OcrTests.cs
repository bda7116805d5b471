using System.Numerics;
using System.Text.Json;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.Examples.Ocr;
using OpenEas.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace OpenEas.FunctionalTests;

/// <summary>The OCR example (examples/ocr) reads rendered text back: in process and through two ONNX processor services.</summary>
public class OcrTests(ITestOutputHelper output)
{
    private const string English = "OpenEAS 2026";
    private const string Chinese = "欢迎使用开放模型服务";

    private static byte[] Sample() => TextImages.Render(720, (English, TextImages.Latin, 48), (Chinese, TextImages.Chinese, 44));

    private void AssertReads(OcrResult result)
    {
        var text = result.Text;
        foreach (var line in result.Lines)
        {
            output.WriteLine($"{line.Score:0.000} [{string.Join(' ', line.Box)}] {line.Text}");
        }

        Assert.True(result.Lines.Count == 2, $"expected 2 lines, read {result.Lines.Count}: {text}");
        var expected = English + "\n" + Chinese;
        var accuracy = TextImages.CharacterAccuracy(expected, text);
        Assert.True(accuracy >= 0.9, $"character accuracy {accuracy:P1} below 90 %: read \"{text}\"");
        Assert.True(result.Lines[0].Box[0].Y < result.Lines[1].Box[0].Y, "lines come top to bottom");
        foreach (var line in result.Lines)
        {
            Assert.InRange(line.Score, 0.5f, 1f);
            Assert.All(line.Box, p => Assert.True(p.X >= 0 && p.X <= result.Width && p.Y >= 0 && p.Y <= result.Height, $"corner {p} outside the image"));
        }
    }

    [Fact]
    public async Task Reads_rendered_English_and_Chinese_lines_in_process()
    {
        var models = await OcrModels.GetAsync();
        using var det = new OnnxOcrModel(models.Detection, intraOpThreads: 1);
        using var rec = new OnnxOcrModel(models.Recognition, intraOpThreads: 1);
        var pipeline = new OcrPipeline(det, rec, CharacterDictionary.Load(models.Keys));
        AssertReads(await pipeline.ReadAsync(Sample()));
    }

    [Fact]
    public async Task Reads_a_tilted_line_from_a_large_JPEG()
    {
        const string Text = "Inference 推理服务";
        var models = await OcrModels.GetAsync();
        using var det = new OnnxOcrModel(models.Detection, intraOpThreads: 1);
        using var rec = new OnnxOcrModel(models.Recognition, intraOpThreads: 1);
        var pipeline = new OcrPipeline(det, rec, CharacterDictionary.Load(models.Keys));
        var jpeg = TextImages.Render(1600, 6, SkiaSharp.SKEncodedImageFormat.Jpeg, (Text, TextImages.Chinese, 80));
        var result = await pipeline.ReadAsync(jpeg);
        foreach (var read in result.Lines)
        {
            output.WriteLine($"{read.Score:0.000} [{string.Join(' ', read.Box)}] {read.Text}");
        }

        var line = Assert.Single(result.Lines);
        var accuracy = TextImages.CharacterAccuracy(Text, line.Text);
        Assert.True(accuracy >= 0.9, $"character accuracy {accuracy:P1} below 90 %: read \"{line.Text}\"");
        // The box follows the tilt: its top edge falls about 6° to the right.
        var slope = Math.Atan2(line.Box[1].Y - line.Box[0].Y, line.Box[1].X - line.Box[0].X) * 180 / Math.PI;
        Assert.InRange(slope, 3, 9);
    }

    [Fact]
    public async Task Reads_rendered_text_through_the_gateway_with_the_example_specs_and_client()
    {
        var models = await OcrModels.GetAsync();
        await using var server = await TestServer.StartAsync();
        foreach (var (name, file) in ((string, string)[])[("ocr_det", "det.json"), ("ocr_rec", "rec.json")])
        {
            // As `eas create examples/ocr/<file>` sends it: model_path resolved against the spec's directory.
            var path = Path.Combine(Repo.Root, "examples", "ocr", file);
            var spec = SpecFiles.ResolveLocalPaths(await File.ReadAllTextAsync(path), Path.GetDirectoryName(path)!);
            await server.Client.CreateServiceAsync(spec);
            await server.WaitForStatusAsync(name, ServiceStates.Running, running: 1, seconds: 120);
        }

        // The example program, run as a user runs it: it looks the service tokens up with the admin token.
        var image = Path.Combine(server.DataDir, "sample.png");
        await File.WriteAllBytesAsync(image, Sample());
        var run = await ChildProcess.RunAsync(Path.Combine(AppContext.BaseDirectory, "eas-ocr"),
            [image, "--json", "--endpoint", server.Endpoint, "--admin-token", TestServer.Admin, "--keys", models.Keys], TimeSpan.FromMinutes(2));
        Assert.True(run.Code == 0, $"eas-ocr exited {run.Code}: {run.Err}");
        AssertReads(FromJson(run.Out));

        var wrong = await ChildProcess.RunAsync(Path.Combine(AppContext.BaseDirectory, "eas-ocr"),
            [image, "--endpoint", server.Endpoint, "--det-token", "not-the-token", "--rec-token", "not-the-token", "--keys", models.Keys], TimeSpan.FromMinutes(2));
        Assert.Equal(1, wrong.Code);
        Assert.StartsWith("eas-ocr: service ocr_det answered 401 for its model metadata: ", wrong.Err, StringComparison.Ordinal);
        Assert.Single(wrong.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task The_client_reports_a_service_that_is_not_deployed_in_one_line()
    {
        var models = await OcrModels.GetAsync();
        await using var server = await TestServer.StartAsync();
        var image = Path.Combine(server.DataDir, "sample.png");
        await File.WriteAllBytesAsync(image, Sample());
        var run = await ChildProcess.RunAsync(Path.Combine(AppContext.BaseDirectory, "eas-ocr"),
            [image, "--endpoint", server.Endpoint, "--det-token", "some-token", "--rec-token", "some-token", "--keys", models.Keys], TimeSpan.FromMinutes(2));
        Assert.Equal(1, run.Code);
        Assert.Equal("eas-ocr: service ocr_det answered 404 for its model metadata: service \"ocr_det\" not found", run.Err.Trim());
        Assert.Single(run.Err.Trim().Split('\n'));
    }

    /// <summary>The client's <c>--json</c> output read back.</summary>
    private static OcrResult FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var lines = root.GetProperty("lines").EnumerateArray().Select(static l => new OcrLine(
            l.GetProperty("text").GetString()!,
            l.GetProperty("score").GetSingle(),
            [.. l.GetProperty("box").EnumerateArray().Select(static p => new Vector2(p[0].GetSingle(), p[1].GetSingle()))])).ToList();
        return new OcrResult(root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32(), lines);
    }
}
