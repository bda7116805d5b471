using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OpenEas.Client;
using OpenEas.Examples.Ocr;
using SkiaSharp;

var image = new Argument<FileInfo>("image") { Description = "A PNG or JPEG to read" };
var endpoint = new Option<string?>("--endpoint") { Description = "OpenEAS endpoint (http://host:port); without it the models run in this process" };
var detService = new Option<string>("--det-service") { Description = "The detection service", DefaultValueFactory = _ => "ocr_det" };
var recService = new Option<string>("--rec-service") { Description = "The recognition service", DefaultValueFactory = _ => "ocr_rec" };
var detToken = new Option<string?>("--det-token") { Description = "The detection service's token [env EAS_OCR_DET_TOKEN]", DefaultValueFactory = _ => Env("EAS_OCR_DET_TOKEN") };
var recToken = new Option<string?>("--rec-token") { Description = "The recognition service's token [env EAS_OCR_REC_TOKEN]", DefaultValueFactory = _ => Env("EAS_OCR_REC_TOKEN") };
var adminToken = new Option<string?>("--admin-token") { Description = "Looks the service tokens up when they are not given [env EAS_ADMIN_TOKEN]", DefaultValueFactory = _ => Env("EAS_ADMIN_TOKEN") };
var detModel = new Option<string?>("--det-model") { Description = "In process: the detection .onnx [env OCR_DET_MODEL]", DefaultValueFactory = _ => Env("OCR_DET_MODEL") };
var recModel = new Option<string?>("--rec-model") { Description = "In process: the recognition .onnx [env OCR_REC_MODEL]", DefaultValueFactory = _ => Env("OCR_REC_MODEL") };
var keys = new Option<string?>("--keys") { Description = "The character dictionary, ppocr_keys_v1.txt [env OCR_KEYS]", DefaultValueFactory = _ => Env("OCR_KEYS") };
var threads = new Option<int>("--threads") { Description = "In process: ONNX Runtime intra-op threads (0: one per core)" };
var json = new Option<bool>("--json") { Description = "Print the lines as JSON" };
var draw = new Option<FileInfo?>("--draw") { Description = "Also write a PNG of the image with the boxes drawn" };
var repeat = new Option<int>("--repeat") { Description = "Then read the image N more times and print images/s and latency (a measurement)", HelpName = "N" };
var concurrency = new Option<int>("--concurrency") { Description = "With --repeat: reads in flight at once", DefaultValueFactory = _ => 1 };

var root = new RootCommand("Reads the text lines of an image with PP-OCRv4: through two OpenEAS ONNX processor services, or in process.")
{
    image, endpoint, detService, recService, detToken, recToken, adminToken, detModel, recModel, keys, threads, json, draw, repeat, concurrency,
};
root.SetAction(async (parse, ct) =>
{
    try
    {
        var dictionary = CharacterDictionary.Load(parse.GetValue(keys) ?? throw new OcrException("--keys (or OCR_KEYS) is needed: the character dictionary ppocr_keys_v1.txt"));
        var file = parse.GetRequiredValue(image);
        var bytes = await File.ReadAllBytesAsync(file.FullName, ct);

        IOcrModel det, rec;
        if (parse.GetValue(endpoint) is { } url)
        {
            var (detName, recName) = (parse.GetRequiredValue(detService), parse.GetRequiredValue(recService));
            var (dt, rt) = (parse.GetValue(detToken), parse.GetValue(recToken));
            if (dt is null || rt is null)
            {
                var admin = parse.GetValue(adminToken) ?? throw new OcrException("--det-token and --rec-token (or --admin-token to look them up) are needed with --endpoint");
                using var control = new EasClient(url, admin);
                dt ??= (await control.DescribeServiceAsync(detName, ct)).AccessToken;
                rt ??= (await control.DescribeServiceAsync(recName, ct)).AccessToken;
            }

            det = new RemoteOcrModel(url, detName, dt);
            rec = new RemoteOcrModel(url, recName, rt);
        }
        else
        {
            var n = parse.GetValue(threads);
            det = new OnnxOcrModel(parse.GetValue(detModel) ?? throw new OcrException("--det-model (or OCR_DET_MODEL) is needed without --endpoint"), n);
            rec = new OnnxOcrModel(parse.GetValue(recModel) ?? throw new OcrException("--rec-model (or OCR_REC_MODEL) is needed without --endpoint"), n);
        }

        OcrResult result;
        string? measured = null;
        using (det)
        using (rec)
        {
            var pipeline = new OcrPipeline(det, rec, dictionary);
            result = await pipeline.ReadAsync(bytes, ct);
            if (parse.GetValue(repeat) is > 0 and var reads)
            {
                measured = await Repeat.RunAsync(pipeline, bytes, reads, Math.Max(1, parse.GetValue(concurrency)), ct);
            }
        }

        if (parse.GetValue(json))
        {
            Console.WriteLine(OcrJson.Write(result));
        }
        else
        {
            foreach (var line in result.Lines)
            {
                var box = string.Join(' ', line.Box.Select(static p => string.Create(CultureInfo.InvariantCulture, $"{p.X:0},{p.Y:0}")));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{line.Score:0.000}  [{box}]  {line.Text}"));
            }

            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{result.Lines.Count} lines; detection {result.Detection.TotalMilliseconds:0} ms, recognition {result.Recognition.TotalMilliseconds:0} ms"));
        }

        if (measured is not null)
        {
            await Console.Error.WriteLineAsync(measured);
        }

        if (parse.GetValue(draw) is { } output)
        {
            using var decoded = Images.Decode(bytes);
            await File.WriteAllBytesAsync(output.FullName, OcrDrawing.DrawBoxes(decoded, result), ct);
        }

        return 0;
    }
    catch (Exception e) when (e is OcrException or IOException or UnauthorizedAccessException or EasApiException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or JsonException)
    {
        await Console.Error.WriteLineAsync("eas-ocr: " + e.Message);
        return 1;
    }
});

return await root.Parse(args).InvokeAsync();

static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
