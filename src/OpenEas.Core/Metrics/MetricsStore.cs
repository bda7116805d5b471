using System.Text.Json;
using Microsoft.Data.Sqlite;
using OpenEas.Contracts;

namespace OpenEas.Core.Metrics;

/// <summary>Keeps the metrics history in its own SQLite file (<c>metrics.db</c>) so a restart does not lose it.</summary>
internal sealed class MetricsStore
{
    public const int SecondResolution = 1;
    public const int MinuteResolution = 60;

    private readonly string _connectionString;

    public MetricsStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS points (
                series TEXT NOT NULL,
                resolution INTEGER NOT NULL,
                time INTEGER NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (series, resolution, time)
            ) WITHOUT ROWID;
            """;
        cmd.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        using var pragma = c.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL;";
        pragma.ExecuteNonQuery();
        return c;
    }

    public void Save(IReadOnlyList<(string Series, int Resolution, MetricPoint Point)> points)
    {
        if (points.Count == 0)
        {
            return;
        }

        using var c = Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR REPLACE INTO points(series, resolution, time, data) VALUES($s, $r, $t, $d)";
        var s = cmd.Parameters.Add("$s", SqliteType.Text);
        var r = cmd.Parameters.Add("$r", SqliteType.Integer);
        var t = cmd.Parameters.Add("$t", SqliteType.Integer);
        var d = cmd.Parameters.Add("$d", SqliteType.Text);
        foreach (var (series, resolution, point) in points)
        {
            s.Value = series;
            r.Value = resolution;
            t.Value = point.Time.ToUnixTimeSeconds();
            d.Value = JsonSerializer.Serialize(point, EasJsonContext.Default.MetricPoint);
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>Every stored point of a resolution since <paramref name="since"/>, oldest first.</summary>
    public List<(string Series, MetricPoint Point)> Load(int resolution, DateTimeOffset since)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT series, data FROM points WHERE resolution=$r AND time>=$t ORDER BY time";
        cmd.Parameters.AddWithValue("$r", resolution);
        cmd.Parameters.AddWithValue("$t", since.ToUnixTimeSeconds());
        using var reader = cmd.ExecuteReader();
        var list = new List<(string, MetricPoint)>();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize(reader.GetString(1), EasJsonContext.Default.MetricPoint) is { } point)
            {
                list.Add((reader.GetString(0), point));
            }
        }

        return list;
    }

    public void Prune(int resolution, DateTimeOffset before)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM points WHERE resolution=$r AND time<$t";
        cmd.Parameters.AddWithValue("$r", resolution);
        cmd.Parameters.AddWithValue("$t", before.ToUnixTimeSeconds());
        cmd.ExecuteNonQuery();
    }
}
