using Microsoft.Data.Sqlite;

namespace OpenEas.Core.Store;

/// <summary>A dedicated resource group as stored: its declared capacity and what a preemption has taken away.</summary>
public sealed record ResourceGroupRecord
{
    public required string Name { get; init; }
    public double Cpu { get; init; }
    public long MemoryMb { get; init; }
    public int Gpu { get; init; }
    public bool Spot { get; init; }
    public DateTimeOffset CreateTime { get; init; }
    public double ReclaimedCpu { get; init; }
    public long ReclaimedMemoryMb { get; init; }
    public int ReclaimedGpu { get; init; }

    /// <summary>When reclaimed capacity comes back (null when nothing is reclaimed).</summary>
    public DateTimeOffset? ReclaimedUntil { get; init; }
}

public sealed partial class EasStore
{
    private static void MigrateResources(SqliteConnection c)
    {
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = """
                CREATE TABLE IF NOT EXISTS resource_groups (
                    name TEXT PRIMARY KEY,
                    cpu REAL NOT NULL,
                    memory_mb INTEGER NOT NULL,
                    gpu INTEGER NOT NULL,
                    spot INTEGER NOT NULL,
                    create_time INTEGER NOT NULL,
                    reclaimed_cpu REAL NOT NULL DEFAULT 0,
                    reclaimed_memory_mb INTEGER NOT NULL DEFAULT 0,
                    reclaimed_gpu INTEGER NOT NULL DEFAULT 0,
                    reclaimed_until INTEGER NULL
                );
                """;
            cmd.ExecuteNonQuery();
        }

        AddColumnIfMissing(c, "instances", "resource_group", "TEXT NOT NULL DEFAULT 'public'");
        AddColumnIfMissing(c, "instances", "overflow", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing(c, "instances", "gpu", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing(c, "instances", "preempt_at", "INTEGER NULL");
    }

    /// <summary>Adds a group; false when the name is taken.</summary>
    public bool TryAddResourceGroup(ResourceGroupRecord g)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            INSERT INTO resource_groups(name, cpu, memory_mb, gpu, spot, create_time) VALUES($n, $cpu, $mem, $gpu, $spot, $ct)
            ON CONFLICT(name) DO NOTHING
            """,
            ("$n", g.Name), ("$cpu", g.Cpu), ("$mem", g.MemoryMb), ("$gpu", g.Gpu), ("$spot", g.Spot ? 1 : 0), ("$ct", Ms(g.CreateTime)));
        return cmd.ExecuteNonQuery() == 1;
    }

    /// <summary>Writes a group's capacity and reclaim state.</summary>
    public void UpdateResourceGroup(ResourceGroupRecord g)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            UPDATE resource_groups SET cpu=$cpu, memory_mb=$mem, gpu=$gpu, spot=$spot, reclaimed_cpu=$rc, reclaimed_memory_mb=$rm,
                reclaimed_gpu=$rg, reclaimed_until=$ru
            WHERE name=$n
            """,
            ("$n", g.Name), ("$cpu", g.Cpu), ("$mem", g.MemoryMb), ("$gpu", g.Gpu), ("$spot", g.Spot ? 1 : 0),
            ("$rc", g.ReclaimedCpu), ("$rm", g.ReclaimedMemoryMb), ("$rg", g.ReclaimedGpu),
            ("$ru", g.ReclaimedUntil is { } u ? Ms(u) : null));
        cmd.ExecuteNonQuery();
    }

    public bool DeleteResourceGroup(string name)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "DELETE FROM resource_groups WHERE name=$n", ("$n", name));
        return cmd.ExecuteNonQuery() == 1;
    }

    public ResourceGroupRecord? GetResourceGroup(string name) => ListResourceGroups().FirstOrDefault(g => g.Name == name);

    public List<ResourceGroupRecord> ListResourceGroups()
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT * FROM resource_groups ORDER BY name");
        using var r = cmd.ExecuteReader();
        var list = new List<ResourceGroupRecord>();
        while (r.Read())
        {
            list.Add(new ResourceGroupRecord
            {
                Name = r.GetString(r.GetOrdinal("name")),
                Cpu = r.GetDouble(r.GetOrdinal("cpu")),
                MemoryMb = r.GetInt64(r.GetOrdinal("memory_mb")),
                Gpu = r.GetInt32(r.GetOrdinal("gpu")),
                Spot = r.GetInt32(r.GetOrdinal("spot")) != 0,
                CreateTime = FromMs(r.GetInt64(r.GetOrdinal("create_time"))),
                ReclaimedCpu = r.GetDouble(r.GetOrdinal("reclaimed_cpu")),
                ReclaimedMemoryMb = r.GetInt64(r.GetOrdinal("reclaimed_memory_mb")),
                ReclaimedGpu = r.GetInt32(r.GetOrdinal("reclaimed_gpu")),
                ReclaimedUntil = NullableTime(r, "reclaimed_until"),
            });
        }

        return list;
    }
}
