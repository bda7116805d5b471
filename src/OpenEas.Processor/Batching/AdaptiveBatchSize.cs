namespace OpenEas.Processor.Batching;

/// <summary>
/// The <c>auto</c> batch size, learned from real traffic: start at 1, measure the run time per row over
/// <see cref="Samples"/> well-filled runs, try double the size, keep it only when the time per row drops by at least
/// <see cref="MinGain"/>, and stop growing at the first size that does not pay (or at the maximum). After
/// <see cref="RecheckRuns"/> runs it measures again, so a change of load or input sizes is followed.
/// Runs less than half full (low load) teach nothing and are ignored.
/// </summary>
public sealed class AdaptiveBatchSize(int max, int samples = 24, double minGain = 0.05, int recheckRuns = 5000)
{
    private readonly Dictionary<int, (double Seconds, long Rows, int Runs)> _current = [];
    private readonly Dictionary<int, double> _perRow = [];
    private readonly object _lock = new();
    private int _stable = 1;
    private int _trial;
    private bool _settled;
    private int _runsSettled;

    public int Max { get; } = Math.Max(1, max);

    public int Samples { get; } = samples;

    public double MinGain { get; } = minGain;

    public int RecheckRuns { get; } = recheckRuns;

    /// <summary>The batch size to collect now.</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return _trial > 0 ? _trial : _stable;
            }
        }
    }

    /// <summary>Records one run of <paramref name="rows"/> rows that took <paramref name="seconds"/>.</summary>
    public void Observe(int rows, double seconds)
    {
        lock (_lock)
        {
            if (_settled)
            {
                if (++_runsSettled >= RecheckRuns)
                {
                    (_settled, _runsSettled, _stable) = (false, 0, 1);
                    _current.Clear();
                }

                return;
            }

            var limit = _trial > 0 ? _trial : _stable;
            if (rows * 2 <= limit && limit > 1)
            {
                return;
            }

            var s = _current.GetValueOrDefault(limit);
            s = (s.Seconds + seconds, s.Rows + rows, s.Runs + 1);
            _current[limit] = s;
            if (s.Runs < Samples)
            {
                return;
            }

            _perRow[limit] = s.Seconds / s.Rows;
            if (_trial == 0)
            {
                TryNext();
            }
            else if (_perRow[_trial] < _perRow[_stable] * (1 - MinGain))
            {
                (_stable, _trial) = (_trial, 0);
                TryNext();
            }
            else
            {
                (_trial, _settled) = (0, true);
            }
        }
    }

    /// <summary>Tries double the stable size next, or settles at the maximum.</summary>
    private void TryNext()
    {
        var next = Math.Min(Max, _stable * 2);
        if (next == _stable)
        {
            _settled = true;
            return;
        }

        _trial = next;
        _current.Remove(next);
    }

    /// <summary>What was learned: ms per row by batch size, the size in use, and whether it is still exploring.</summary>
    public (int Limit, bool Settled, IReadOnlyDictionary<int, double> MsPerRow) Snapshot()
    {
        lock (_lock)
        {
            return (_trial > 0 ? _trial : _stable, _settled, _perRow.ToDictionary(p => p.Key, p => p.Value * 1000));
        }
    }
}
