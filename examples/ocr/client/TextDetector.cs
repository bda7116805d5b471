using System.Numerics;
using SkiaSharp;

namespace OpenEas.Examples.Ocr;

/// <summary>
/// PP-OCR's text detection around the DB model: resize and normalise the image, then turn the probability map
/// into boxes (threshold, connected regions, minimum-area rectangles scored on the map, unclip, scale back).
/// </summary>
internal static class TextDetector
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>The detector's input size: the longer side at most <paramref name="limitSide"/>, both sides multiples of 32.</summary>
    public static (int Width, int Height) InputSize(int width, int height, int limitSide)
    {
        var ratio = Math.Max(width, height) > limitSide ? (double)limitSide / Math.Max(width, height) : 1.0;
        static int Round32(double side) => Math.Max((int)Math.Round(Math.Floor(side) / 32) * 32, 32);
        return (Round32(width * ratio), Round32(height * ratio));
    }

    /// <summary>The detector's input: [1, 3, H, W], BGR channels normalised with ImageNet's mean and deviation.</summary>
    public static FloatTensor Preprocess(SKBitmap image, OcrOptions options)
    {
        var (w, h) = InputSize(image.Width, image.Height, options.DetLimitSide);
        using var resized = Images.Resize(image, w, h);
        return Images.ToTensor([resized], w, h, static (channel, value) => (value / 255f - Mean[channel]) / Std[channel]);
    }

    /// <summary>Boxes (four corners each, in <paramref name="width"/>×<paramref name="height"/> image pixels) from a [1, 1, H, W] map.</summary>
    public static List<Vector2[]> Boxes(FloatTensor probability, int width, int height, OcrOptions options)
    {
        var mapHeight = probability.Shape[^2];
        var mapWidth = probability.Shape[^1];
        var map = probability.Data;
        var text = new bool[map.Length];
        for (var i = 0; i < map.Length; i++)
        {
            text[i] = map[i] > options.DetThreshold;
        }

        var boxes = new List<Vector2[]>();
        foreach (var region in Regions(text, mapWidth, mapHeight, options.MaxCandidates))
        {
            var rect = Geometry.MinAreaRect(Geometry.ConvexHull(region));
            if (rect is null)
            {
                continue;
            }

            var box = Geometry.OrderCorners(rect);
            if (Geometry.ShortSide(box) < options.MinSize || MeanInside(map, mapWidth, mapHeight, box) < options.BoxThreshold)
            {
                continue;
            }

            box = Geometry.OrderCorners(Geometry.Unclip(box, options.UnclipRatio));
            if (Geometry.ShortSide(box) < options.MinSize + 2)
            {
                continue;
            }

            for (var i = 0; i < 4; i++)
            {
                box[i] = new Vector2(
                    Math.Clamp(MathF.Round(box[i].X / mapWidth * width), 0, width),
                    Math.Clamp(MathF.Round(box[i].Y / mapHeight * height), 0, height));
            }

            if (Vector2.Distance(box[0], box[1]) > 3 && Vector2.Distance(box[0], box[3]) > 3)
            {
                boxes.Add(box);
            }
        }

        return ReadingOrder(boxes);
    }

    /// <summary>Top to bottom, then left to right for boxes on the same line (tops within 10 pixels).</summary>
    public static List<Vector2[]> ReadingOrder(List<Vector2[]> boxes)
    {
        var sorted = boxes.OrderBy(static b => b[0].Y).ThenBy(static b => b[0].X).ToList();
        for (var i = 0; i < sorted.Count - 1; i++)
        {
            for (var j = i; j >= 0; j--)
            {
                if (Math.Abs(sorted[j + 1][0].Y - sorted[j][0].Y) < 10 && sorted[j + 1][0].X < sorted[j][0].X)
                {
                    (sorted[j], sorted[j + 1]) = (sorted[j + 1], sorted[j]);
                }
                else
                {
                    break;
                }
            }
        }

        return sorted;
    }

    /// <summary>The 8-connected regions of text pixels, as the centres of their pixels.</summary>
    private static IEnumerable<List<Vector2>> Regions(bool[] text, int width, int height, int maxRegions)
    {
        var seen = new bool[text.Length];
        var stack = new Stack<int>();
        var count = 0;
        for (var start = 0; start < text.Length && count < maxRegions; start++)
        {
            if (!text[start] || seen[start])
            {
                continue;
            }

            var region = new List<Vector2>();
            seen[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var at = stack.Pop();
                int x = at % width, y = at / width;
                region.Add(new Vector2(x, y));
                for (var dy = -1; dy <= 1; dy++)
                {
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx, ny = y + dy;
                        if ((uint)nx < (uint)width && (uint)ny < (uint)height)
                        {
                            var n = ny * width + nx;
                            if (text[n] && !seen[n])
                            {
                                seen[n] = true;
                                stack.Push(n);
                            }
                        }
                    }
                }
            }

            count++;
            yield return region;
        }
    }

    /// <summary>The mean probability over the map pixels inside a box (DB's "fast" box score).</summary>
    private static float MeanInside(float[] map, int width, int height, Vector2[] box)
    {
        var xMin = Math.Clamp((int)MathF.Floor(box.Min(static p => p.X)), 0, width - 1);
        var xMax = Math.Clamp((int)MathF.Ceiling(box.Max(static p => p.X)), 0, width - 1);
        var yMin = Math.Clamp((int)MathF.Floor(box.Min(static p => p.Y)), 0, height - 1);
        var yMax = Math.Clamp((int)MathF.Ceiling(box.Max(static p => p.Y)), 0, height - 1);
        double sum = 0;
        var n = 0;
        for (var y = yMin; y <= yMax; y++)
        {
            for (var x = xMin; x <= xMax; x++)
            {
                if (Geometry.InsideConvex(box, new Vector2(x, y)))
                {
                    sum += map[y * width + x];
                    n++;
                }
            }
        }

        return n == 0 ? 0 : (float)(sum / n);
    }
}
