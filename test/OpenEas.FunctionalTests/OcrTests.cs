using Xunit.Abstractions;
using OpenEas.Examples.Ocr;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>The OCR example (examples/ocr) reads rendered text back: in process and through OpenEAS services.</summary>
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
        var sample = Sample();
        if (Environment.GetEnvironmentVariable("OCR_TEST_IMAGE") is { Length: > 0 } keep)
        {
            await File.WriteAllBytesAsync(keep, sample);
        }

        AssertReads(await pipeline.ReadAsync(sample));
    }
}
