using SkiaSharp;

namespace OpenEas.Examples.Ocr;

/// <summary>The client's <c>--draw</c> output: the image with each line's box outlined.</summary>
internal static class OcrDrawing
{
    public static byte[] DrawBoxes(SKBitmap image, OcrResult result)
    {
        using var copy = image.Copy();
        using (var canvas = new SKCanvas(copy))
        using (var pen = new SKPaint { Color = SKColors.Red, IsStroke = true, StrokeWidth = Math.Max(2, image.Width / 400f), IsAntialias = true })
        {
            foreach (var line in result.Lines)
            {
                using var path = new SKPath();
                path.AddPoly([.. line.Box.Select(static p => new SKPoint(p.X, p.Y))], close: true);
                canvas.DrawPath(path, pen);
            }
        }

        using var encoded = copy.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }
}
