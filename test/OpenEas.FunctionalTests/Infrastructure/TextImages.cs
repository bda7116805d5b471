using SkiaSharp;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>Images of known text, rendered with system fonts (scripts/deps.sh installs them), for the OCR tests.</summary>
internal static class TextImages
{
    public const string Latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    public const string Chinese = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

    /// <summary>A PNG with one line of text per entry, black on white, each in its own font and size.</summary>
    public static byte[] Render(int width, params (string Text, string Font, float Size)[] lines) =>
        Render(width, 0, SKEncodedImageFormat.Png, lines);

    /// <summary>Lines of text turned by <paramref name="degrees"/> (clockwise) about the image centre, in the given format.</summary>
    public static byte[] Render(int width, float degrees, SKEncodedImageFormat format, params (string Text, string Font, float Size)[] lines)
    {
        var height = (int)lines.Sum(static l => l.Size * 2) + 40 + (int)(width * Math.Abs(Math.Sin(degrees * Math.PI / 180)));
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            canvas.RotateDegrees(degrees, width / 2f, height / 2f);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            var y = (height - lines.Sum(static l => l.Size * 2)) / 2;
            foreach (var (text, fontFile, size) in lines)
            {
                using var typeface = SKTypeface.FromFile(fontFile)
                    ?? throw new InvalidOperationException($"font {fontFile} is missing: run scripts/deps.sh");
                using var font = new SKFont(typeface, size);
                y += size * 1.5f;
                canvas.DrawText(text, 30, y, SKTextAlign.Left, font, paint);
                y += size * 0.5f;
            }
        }

        using var encoded = bitmap.Encode(format, 90);
        return encoded.ToArray();
    }

    /// <summary>1 − edit distance / expected length: the share of characters read right (≤ 1, may go below 0).</summary>
    public static double CharacterAccuracy(string expected, string actual) =>
        expected.Length == 0 ? (actual.Length == 0 ? 1 : 0) : 1.0 - (double)EditDistance(expected, actual) / expected.Length;

    /// <summary>Levenshtein distance over UTF-16 code units (the test texts are all in the BMP).</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
