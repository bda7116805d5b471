using System.Numerics;
using System.Text;
using OpenEas.Examples.Ocr;

namespace OpenEas.Tests.Examples;

/// <summary>The OCR example's pure steps: sizes, box geometry, CTC decoding and the v2 wire format.</summary>
public class OcrPipelineTests
{
    [Theory]
    [InlineData(720, 224, 960, 704, 224)]
    [InlineData(100, 10, 960, 96, 32)]
    [InlineData(1920, 1080, 960, 960, 544)]
    [InlineData(1000, 3000, 960, 320, 960)]
    [InlineData(16, 16, 960, 32, 32)]
    public void Detection_input_is_capped_and_a_multiple_of_32(int width, int height, int limit, int expectedWidth, int expectedHeight) =>
        Assert.Equal((expectedWidth, expectedHeight), TextDetector.InputSize(width, height, limit));

    public static TheoryData<float, float, float, float, float> Rectangles => new()
    {
        // centre x, centre y, width, height, angle (degrees)
        { 50, 20, 80, 10, 0 },
        { 50, 50, 40, 20, 30 },
        { 100, 60, 120, 30, -12 },
    };

    [Theory]
    [MemberData(nameof(Rectangles))]
    public void The_minimum_area_rectangle_of_a_rotated_rectangle_is_itself(float cx, float cy, float w, float h, float degrees)
    {
        var corners = Rectangle(cx, cy, w, h, degrees);
        var inner = new List<Vector2>(corners);
        // Points inside the rectangle change nothing.
        inner.Add(new Vector2(cx, cy));
        inner.Add((corners[0] + corners[2] * 3) / 4);
        var rect = Geometry.MinAreaRect(Geometry.ConvexHull(inner))!;
        Assert.Equal(w * h, Math.Abs(Geometry.PolygonArea(rect)), 1);
        var ordered = Geometry.OrderCorners(rect);
        Assert.Equal(Math.Min(w, h), Geometry.ShortSide(ordered), 2);
    }

    [Fact]
    public void A_line_of_points_has_no_rectangle() =>
        Assert.Null(Geometry.MinAreaRect(Geometry.ConvexHull([new(0, 0), new(1, 0), new(2, 0)])));

    [Fact]
    public void Corners_come_top_left_top_right_bottom_right_bottom_left()
    {
        Vector2[] shuffled = [new(10, 5), new(0, 5), new(10, 0), new(0, 0)];
        Assert.Equal([new(0, 0), new(10, 0), new(10, 5), new(0, 5)], Geometry.OrderCorners(shuffled));
    }

    [Theory]
    [InlineData(10, 4, 1.5f, 40 * 1.5f / 28)]
    [InlineData(100, 20, 1.5f, 2000 * 1.5f / 240)]
    [InlineData(30, 30, 2.0f, 900 * 2.0f / 120)]
    public void Unclip_grows_every_side_by_area_times_ratio_over_perimeter(float w, float h, float ratio, float distance)
    {
        var grown = Geometry.OrderCorners(Geometry.Unclip(Rectangle(50, 50, w, h, 20), ratio));
        Assert.Equal(w + 2 * distance, Vector2.Distance(grown[0], grown[1]), 2);
        Assert.Equal(h + 2 * distance, Vector2.Distance(grown[1], grown[2]), 2);
    }

    [Fact]
    public void Boxes_on_one_line_read_left_to_right_and_lines_top_to_bottom()
    {
        var right = Rectangle(300, 22, 100, 20, 0);
        var left = Rectangle(100, 25, 100, 20, 0);
        var below = Rectangle(80, 80, 100, 20, 0);
        var order = TextDetector.ReadingOrder([below, right, left]);
        Assert.Equal([left, right, below], order);
    }

    [Theory]
    [InlineData(new[] { 1, 1, 0, 1, 2, 2, 3 }, "aab ")]
    [InlineData(new[] { 0, 0, 0 }, "")]
    [InlineData(new[] { 2, 0, 2, 2, 1 }, "bba")]
    public void Ctc_merges_repeats_and_drops_blanks(int[] bestClasses, string expected)
    {
        var dictionary = new CharacterDictionary(["a", "b"]);
        var data = new float[bestClasses.Length * dictionary.Count];
        for (var t = 0; t < bestClasses.Length; t++)
        {
            for (var c = 0; c < dictionary.Count; c++)
            {
                data[t * dictionary.Count + c] = c == bestClasses[t] ? 0.9f : 0.1f / (dictionary.Count - 1);
            }
        }

        var (text, score) = Assert.Single(TextRecognizer.Decode(new FloatTensor(data, [1, bestClasses.Length, dictionary.Count]), dictionary));
        Assert.Equal(expected, text);
        Assert.Equal(expected.Length == 0 ? 0f : 0.9f, score, 4);
    }

    [Fact]
    public void A_dictionary_that_does_not_match_the_model_is_an_error()
    {
        var ex = Assert.Throws<OcrException>(() => TextRecognizer.Decode(new FloatTensor(new float[10], [1, 2, 5]), new CharacterDictionary(["a", "b"])));
        Assert.Contains("5 classes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_v2_binary_response_gives_the_requested_output()
    {
        var other = new byte[8];
        float[] values = [1.5f, -2f, 3.25f, 0f, 7f, 8f];
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        var header = Encoding.UTF8.GetBytes("""
            {"model_name":"m","outputs":[
              {"name":"other","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},
              {"name":"probs","datatype":"FP32","shape":[1,2,3],"parameters":{"binary_data_size":24}}]}
            """);
        var tensor = RemoteOcrModel.ParseInferResponse([.. header, .. other, .. raw], header.Length, "probs");
        Assert.Equal([1, 2, 3], tensor.Shape);
        Assert.Equal(values, tensor.Data);
    }

    [Fact]
    public void A_v2_json_response_gives_the_requested_output()
    {
        var body = """{"outputs":[{"name":"probs","datatype":"FP32","shape":[2,2],"data":[1,2,3,4.5]}]}"""u8.ToArray();
        var tensor = RemoteOcrModel.ParseInferResponse(body, null, "probs");
        Assert.Equal([2, 2], tensor.Shape);
        Assert.Equal([1f, 2f, 3f, 4.5f], tensor.Data);
    }

    [Fact]
    public void The_v2_request_header_announces_the_binary_input_and_asks_for_a_binary_output()
    {
        var header = RemoteOcrModel.InferHeader("x", "y", new FloatTensor(new float[6], [1, 2, 3]));
        Assert.Equal(
            """{"inputs":[{"name":"x","shape":[1,2,3],"datatype":"FP32","parameters":{"binary_data_size":24}}],"outputs":[{"name":"y","parameters":{"binary_data":true}}]}""",
            Encoding.UTF8.GetString(header));
    }

    private static Vector2[] Rectangle(float cx, float cy, float w, float h, float degrees)
    {
        var a = degrees * MathF.PI / 180;
        var u = new Vector2(MathF.Cos(a), MathF.Sin(a)) * (w / 2);
        var v = new Vector2(-MathF.Sin(a), MathF.Cos(a)) * (h / 2);
        var c = new Vector2(cx, cy);
        return [c - u - v, c + u - v, c + u + v, c - u + v];
    }

    [Theory]
    [InlineData("# not an image\n")]
    [InlineData("")]
    public void Bytes_that_are_not_an_image_are_a_readable_error(string content)
    {
        var ex = Assert.Throws<OcrException>(() => Images.Decode(System.Text.Encoding.UTF8.GetBytes(content)));
        Assert.Equal("the file is not an image SkiaSharp can decode (PNG, JPEG, WebP, GIF, BMP)", ex.Message);
    }
}
