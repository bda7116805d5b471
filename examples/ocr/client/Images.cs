using System.Numerics;
using SkiaSharp;

namespace OpenEas.Examples.Ocr;

/// <summary>Image decoding, resizing, cropping and tensor packing with SkiaSharp.</summary>
internal static class Images
{
    private static readonly SKSamplingOptions Smooth = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>Decodes a PNG, JPEG (or any format Skia reads) onto an opaque RGBA canvas; transparency becomes white.</summary>
    public static SKBitmap Decode(byte[] encoded)
    {
        // SKBitmap.Decode(byte[]) throws ArgumentNullException for bytes no codec reads; ask for the codec first.
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        using var decoded = (codec is null ? null : SKBitmap.Decode(codec))
            ?? throw new OcrException("the file is not an image SkiaSharp can decode (PNG, JPEG, WebP, GIF, BMP)");
        var opaque = new SKBitmap(new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(opaque);
        canvas.Clear(SKColors.White);
        canvas.DrawBitmap(decoded, 0, 0);
        return opaque;
    }

    public static SKBitmap Resize(SKBitmap source, int width, int height)
    {
        var target = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(target);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, new SKRect(0, 0, width, height), Smooth);
        return target;
    }

    /// <summary>
    /// Renders the parallelogram <paramref name="origin"/> → <paramref name="xEnd"/> (top edge) and
    /// <paramref name="origin"/> → <paramref name="yEnd"/> (left edge) of <paramref name="source"/> upright into a
    /// <paramref name="width"/>×<paramref name="height"/> bitmap; pixels beyond the image repeat its edge.
    /// </summary>
    public static SKBitmap Warp(SKImage source, Vector2 origin, Vector2 xEnd, Vector2 yEnd, int width, int height)
    {
        var toSource = new SKMatrix(
            (xEnd.X - origin.X) / width, (yEnd.X - origin.X) / height, origin.X,
            (xEnd.Y - origin.Y) / width, (yEnd.Y - origin.Y) / height, origin.Y,
            0, 0, 1);
        if (!toSource.TryInvert(out var toTarget))
        {
            throw new OcrException("a text box has no area");
        }

        var target = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(target);
        using var shader = source.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, Smooth, toTarget);
        using var paint = new SKPaint { Shader = shader };
        canvas.DrawRect(0, 0, width, height, paint);
        return target;
    }

    /// <summary>
    /// Packs RGBA bitmaps into an [N, 3, H, W] tensor in BGR channel order (PP-OCR's models were trained on
    /// OpenCV's BGR images), normalising each value; bitmaps narrower than <paramref name="width"/> are padded with zeros.
    /// </summary>
    public static FloatTensor ToTensor(IReadOnlyList<SKBitmap> images, int width, int height, Func<int, float, float> normalise)
    {
        var plane = width * height;
        var data = new float[images.Count * 3 * plane];
        for (var n = 0; n < images.Count; n++)
        {
            var image = images[n];
            var pixels = image.GetPixelSpan();
            var stride = image.RowBytes;
            var w = Math.Min(image.Width, width);
            var h = Math.Min(image.Height, height);
            var b = n * 3 * plane;
            for (var y = 0; y < h; y++)
            {
                var row = pixels.Slice(y * stride, w * 4);
                for (var x = 0; x < w; x++)
                {
                    var at = y * width + x;
                    data[b + at] = normalise(0, row[x * 4 + 2]);
                    data[b + plane + at] = normalise(1, row[x * 4 + 1]);
                    data[b + 2 * plane + at] = normalise(2, row[x * 4]);
                }
            }
        }

        return new FloatTensor(data, [images.Count, 3, height, width]);
    }
}
