using System.Numerics;

namespace OpenEas.Examples.Ocr;

/// <summary>The plane geometry of text boxes: convex hull, minimum-area rectangle, corner order, unclip.</summary>
internal static class Geometry
{
    /// <summary>The convex hull (counter-clockwise in image coordinates, no repeated point) by Andrew's monotone chain.</summary>
    public static List<Vector2> ConvexHull(List<Vector2> points)
    {
        if (points.Count < 3)
        {
            return [.. points];
        }

        points.Sort(static (a, b) => a.X != b.X ? a.X.CompareTo(b.X) : a.Y.CompareTo(b.Y));
        var hull = new Vector2[2 * points.Count];
        var k = 0;
        for (var i = 0; i < points.Count; i++)
        {
            while (k >= 2 && Cross(hull[k - 2], hull[k - 1], points[i]) <= 0)
            {
                k--;
            }

            hull[k++] = points[i];
        }

        for (int i = points.Count - 2, lower = k + 1; i >= 0; i--)
        {
            while (k >= lower && Cross(hull[k - 2], hull[k - 1], points[i]) <= 0)
            {
                k--;
            }

            hull[k++] = points[i];
        }

        return [.. hull.AsSpan(0, k - 1)];
    }

    /// <summary>
    /// The rectangle of least area holding a convex polygon (rotating calipers: one side lies on a hull edge),
    /// as its four corners, or null for fewer than three points (a line or a dot has no area).
    /// </summary>
    public static Vector2[]? MinAreaRect(List<Vector2> hull)
    {
        if (hull.Count < 3)
        {
            return null;
        }

        var best = float.MaxValue;
        Vector2[]? corners = null;
        for (var i = 0; i < hull.Count; i++)
        {
            var edge = hull[(i + 1) % hull.Count] - hull[i];
            var length = edge.Length();
            if (length == 0)
            {
                continue;
            }

            var u = edge / length;
            var v = new Vector2(-u.Y, u.X);
            float minU = float.MaxValue, maxU = float.MinValue, minV = float.MaxValue, maxV = float.MinValue;
            foreach (var p in hull)
            {
                var pu = Vector2.Dot(p, u);
                var pv = Vector2.Dot(p, v);
                minU = Math.Min(minU, pu);
                maxU = Math.Max(maxU, pu);
                minV = Math.Min(minV, pv);
                maxV = Math.Max(maxV, pv);
            }

            var area = (maxU - minU) * (maxV - minV);
            if (area < best)
            {
                best = area;
                corners = [u * minU + v * minV, u * maxU + v * minV, u * maxU + v * maxV, u * minU + v * maxV];
            }
        }

        return corners;
    }

    /// <summary>
    /// Orders a rectangle's corners top-left, top-right, bottom-right, bottom-left the way PP-OCR does
    /// (the two left-most points give the left side, the upper of each pair comes first).
    /// </summary>
    public static Vector2[] OrderCorners(Vector2[] box)
    {
        var p = box.OrderBy(static c => c.X).ThenBy(static c => c.Y).ToArray();
        var (topLeft, bottomLeft) = p[1].Y > p[0].Y ? (p[0], p[1]) : (p[1], p[0]);
        var (topRight, bottomRight) = p[3].Y > p[2].Y ? (p[2], p[3]) : (p[3], p[2]);
        return [topLeft, topRight, bottomRight, bottomLeft];
    }

    /// <summary>The shorter side of a rectangle given by four ordered corners.</summary>
    public static float ShortSide(Vector2[] box) => Math.Min(Vector2.Distance(box[0], box[1]), Vector2.Distance(box[1], box[2]));

    /// <summary>
    /// Grows a rectangle by <c>area × ratio / perimeter</c> on every side: DB's unclip. The detector predicts a
    /// shrunk text kernel; the offset polygon of a rectangle (round joins) has that grown rectangle as its
    /// minimum-area box, so the offset is exact here without a polygon clipper.
    /// </summary>
    public static Vector2[] Unclip(Vector2[] box, float ratio)
    {
        var area = Math.Abs(PolygonArea(box));
        var perimeter = 0f;
        for (var i = 0; i < box.Length; i++)
        {
            perimeter += Vector2.Distance(box[i], box[(i + 1) % box.Length]);
        }

        if (perimeter == 0)
        {
            return box;
        }

        var distance = area * ratio / perimeter;
        var center = (box[0] + box[1] + box[2] + box[3]) / 4;
        var grown = new Vector2[4];
        for (var i = 0; i < 4; i++)
        {
            var along = Vector2.Normalize(box[i] - box[(i + 3) % 4]);
            var across = Vector2.Normalize(box[i] - box[(i + 1) % 4]);
            grown[i] = box[i] + (along + across) * distance;
        }

        // Degenerate (zero-width) sides give NaN directions; fall back to growing from the centre.
        for (var i = 0; i < 4; i++)
        {
            if (float.IsNaN(grown[i].X) || float.IsNaN(grown[i].Y))
            {
                grown[i] = box[i] + Vector2.Normalize(box[i] - center) * distance * MathF.Sqrt(2);
            }
        }

        return grown;
    }

    /// <summary>The signed area of a polygon (shoelace).</summary>
    public static float PolygonArea(IReadOnlyList<Vector2> polygon)
    {
        var sum = 0f;
        for (var i = 0; i < polygon.Count; i++)
        {
            var a = polygon[i];
            var b = polygon[(i + 1) % polygon.Count];
            sum += a.X * b.Y - b.X * a.Y;
        }

        return sum / 2;
    }

    /// <summary>Whether a point lies inside (or on) a convex polygon given in either winding.</summary>
    public static bool InsideConvex(ReadOnlySpan<Vector2> polygon, Vector2 point)
    {
        var sign = 0;
        for (var i = 0; i < polygon.Length; i++)
        {
            var c = Cross(polygon[i], polygon[(i + 1) % polygon.Length], point);
            if (Math.Abs(c) < 1e-4f)
            {
                continue;
            }

            var s = c > 0 ? 1 : -1;
            if (sign == 0)
            {
                sign = s;
            }
            else if (s != sign)
            {
                return false;
            }
        }

        return true;
    }

    private static float Cross(Vector2 o, Vector2 a, Vector2 b) => (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);
}
