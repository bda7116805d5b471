using Microsoft.Data.Sqlite;

namespace OpenEas.Core.Store;

/// <summary>A stored alert rule, as its columns hold it (the condition's parts by name).</summary>
public sealed record AlertRuleRecord(string Id, string Service, string Name, string Metric, string Op, double Threshold,
    int ForSeconds, string? Webhook, bool Enabled, DateTimeOffset CreateTime);

public sealed partial class EasStore
{
    /// <summary>Alert rules go with their service (ON DELETE CASCADE when the reconciler removes it).</summary>
    private static void MigrateAlerts(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            CREATE TABLE IF NOT EXISTS alert_rules (
                id TEXT PRIMARY KEY,
                service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
                name TEXT NOT NULL,
                metric TEXT NOT NULL,
                op TEXT NOT NULL,
                threshold REAL NOT NULL,
                for_seconds INTEGER NOT NULL,
                webhook TEXT NULL,
                enabled INTEGER NOT NULL,
                create_time INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS alert_rules_by_service ON alert_rules(service);
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Adds a rule; false when its service does not exist (or is gone meanwhile).</summary>
    public bool AddAlertRule(AlertRuleRecord r)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            INSERT INTO alert_rules(id, service, name, metric, op, threshold, for_seconds, webhook, enabled, create_time)
            SELECT $id, $s, $n, $m, $op, $t, $f, $w, $e, $ct WHERE EXISTS (SELECT 1 FROM services WHERE name=$s)
            """,
            ("$id", r.Id), ("$s", r.Service), ("$n", r.Name), ("$m", r.Metric), ("$op", r.Op), ("$t", r.Threshold),
            ("$f", r.ForSeconds), ("$w", r.Webhook), ("$e", r.Enabled ? 1 : 0), ("$ct", Ms(r.CreateTime)));
        return cmd.ExecuteNonQuery() > 0;
    }

    /// <summary>The rules of one service, or of every service when <paramref name="service"/> is null, oldest first.</summary>
    public List<AlertRuleRecord> ListAlertRules(string? service = null)
    {
        using var c = Open();
        using var cmd = service is null
            ? Cmd(c, null, "SELECT * FROM alert_rules ORDER BY service, create_time, id")
            : Cmd(c, null, "SELECT * FROM alert_rules WHERE service=$s ORDER BY create_time, id", ("$s", service));
        using var r = cmd.ExecuteReader();
        var list = new List<AlertRuleRecord>();
        while (r.Read())
        {
            list.Add(new AlertRuleRecord(
                r.GetString(r.GetOrdinal("id")), r.GetString(r.GetOrdinal("service")), r.GetString(r.GetOrdinal("name")),
                r.GetString(r.GetOrdinal("metric")), r.GetString(r.GetOrdinal("op")), r.GetDouble(r.GetOrdinal("threshold")),
                r.GetInt32(r.GetOrdinal("for_seconds")),
                r.IsDBNull(r.GetOrdinal("webhook")) ? null : r.GetString(r.GetOrdinal("webhook")),
                r.GetInt32(r.GetOrdinal("enabled")) != 0, FromMs(r.GetInt64(r.GetOrdinal("create_time")))));
        }

        return list;
    }

    public bool DeleteAlertRule(string service, string id)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "DELETE FROM alert_rules WHERE service=$s AND id=$id", ("$s", service), ("$id", id));
        return cmd.ExecuteNonQuery() > 0;
    }
}
