using OpenEas.Contracts;

namespace OpenEas.Core.Metrics;

/// <summary>A bounded, time-ordered ring of points (the newest <c>capacity</c> intervals).</summary>
internal sealed class PointRing(int capacity)
{
    private readonly MetricPoint[] _points = new MetricPoint[capacity];
    private readonly Lock _lock = new();
    private int _start;
    private int _count;

    public void Add(MetricPoint point)
    {
        lock (_lock)
        {
            if (_count > 0 && point.Time <= _points[(_start + _count - 1) % _points.Length].Time)
            {
                return; // already have it (e.g. loaded from disk)
            }

            if (_count < _points.Length)
            {
                _points[(_start + _count) % _points.Length] = point;
                _count++;
            }
            else
            {
                _points[_start] = point;
                _start = (_start + 1) % _points.Length;
            }
        }
    }

    /// <summary>Points with <paramref name="from"/> ≤ time &lt; <paramref name="to"/>, oldest first.</summary>
    public List<MetricPoint> Range(DateTimeOffset from, DateTimeOffset to)
    {
        var list = new List<MetricPoint>();
        lock (_lock)
        {
            for (var i = 0; i < _count; i++)
            {
                var p = _points[(_start + i) % _points.Length];
                if (p.Time >= from && p.Time < to)
                {
                    list.Add(p);
                }
            }
        }

        return list;
    }

    public MetricPoint? Latest
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 ? null : _points[(_start + _count - 1) % _points.Length];
            }
        }
    }
}
