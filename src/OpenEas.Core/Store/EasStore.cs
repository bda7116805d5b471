using Microsoft.Data.Sqlite;

namespace OpenEas.Core.Store;

/// <summary>
/// The embedded state store: one SQLite file (WAL) holding services, their versions, events and
/// the instances the reconciler last saw. Every method is one short transaction.
/// </summary>
public sealed partial class EasStore
{
    private readonly string _connectionString;

    public EasStore(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Migrate();
    }

    public string Path { get; }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private void Migrate()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS services (
                name TEXT PRIMARY KEY,
                current_version INTEGER NOT NULL,
                latest_version INTEGER NOT NULL,
                desired_instances INTEGER NOT NULL,
                stopped INTEGER NOT NULL,
                status TEXT NOT NULL,
                reason TEXT NOT NULL,
                message TEXT NOT NULL,
                token TEXT NOT NULL,
                create_time INTEGER NOT NULL,
                update_time INTEGER NOT NULL,
                idle_since INTEGER NULL,
                janitor_warned_at INTEGER NULL
            );
            CREATE TABLE IF NOT EXISTS versions (
                service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
                version INTEGER NOT NULL,
                spec TEXT NOT NULL,
                create_time INTEGER NOT NULL,
                PRIMARY KEY (service, version)
            );
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                service TEXT NOT NULL,
                time INTEGER NOT NULL,
                type TEXT NOT NULL,
                reason TEXT NOT NULL,
                message TEXT NOT NULL,
                instance TEXT NULL
            );
            CREATE INDEX IF NOT EXISTS events_by_service ON events(service, id);
            CREATE TABLE IF NOT EXISTS instances (
                id TEXT PRIMARY KEY,
                service TEXT NOT NULL,
                version INTEGER NOT NULL,
                state TEXT NOT NULL,
                pid INTEGER NULL,
                port INTEGER NOT NULL,
                restart_count INTEGER NOT NULL,
                reason TEXT NOT NULL,
                message TEXT NOT NULL,
                last_exit_code INTEGER NULL,
                last_reason TEXT NOT NULL,
                last_finished_at INTEGER NULL,
                create_time INTEGER NOT NULL,
                start_time INTEGER NULL,
                cpu REAL NOT NULL,
                memory_mb INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS instances_by_service ON instances(service);
            """;
        cmd.ExecuteNonQuery();

        // Columns added after the first release: added in place to a state.db that lacks them.
        AddColumnIfMissing(c, "services", "previous_token", "TEXT NULL");
        AddColumnIfMissing(c, "services", "previous_token_expires", "INTEGER NULL");
        AddColumnIfMissing(c, "services", "autoscaler", "TEXT NULL");
        AddColumnIfMissing(c, "services", "cronscaler", "TEXT NULL");
        MigrateAlerts(c);
        MigrateResources(c);
        MigrateRelease(c);
    }

    private static void AddColumnIfMissing(SqliteConnection c, string table, string column, string type)
    {
        using (var info = c.CreateCommand())
        {
            info.CommandText = $"SELECT 1 FROM pragma_table_info('{table}') WHERE name = $c";
            info.Parameters.AddWithValue("$c", column);
            if (info.ExecuteScalar() is not null)
            {
                return;
            }
        }

        using var alter = c.CreateCommand();
        alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {type}"; // constants of this class, never input
        alter.ExecuteNonQuery();
    }

    // ---- services -------------------------------------------------------------------------

    /// <summary>Inserts a service with its first version. Returns false when the name is taken.</summary>
    public bool TryCreateService(ServiceRecord service, string specJson)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using (var exists = Cmd(c, tx, "SELECT 1 FROM services WHERE name=$n", ("$n", service.Name)))
        {
            if (exists.ExecuteScalar() is not null)
            {
                return false;
            }
        }

        WriteService(c, tx, service, insert: true);
        using (var v = Cmd(c, tx, "INSERT INTO versions(service, version, spec, create_time) VALUES($s, $v, $spec, $t)",
            ("$s", service.Name), ("$v", service.CurrentVersion), ("$spec", specJson), ("$t", Ms(service.CreateTime))))
        {
            v.ExecuteNonQuery();
        }

        tx.Commit();
        return true;
    }

    /// <summary>Adds a version and updates the service in one transaction.</summary>
    public void AddVersion(ServiceRecord updated, string specJson)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using (var v = Cmd(c, tx, "INSERT INTO versions(service, version, spec, create_time) VALUES($s, $v, $spec, $t)",
            ("$s", updated.Name), ("$v", updated.LatestVersion), ("$spec", specJson), ("$t", Ms(updated.UpdateTime))))
        {
            v.ExecuteNonQuery();
        }

        WriteService(c, tx, updated, insert: false);
        tx.Commit();
    }

    public void UpdateService(ServiceRecord service)
    {
        using var c = Open();
        WriteService(c, null, service, insert: false);
    }

    /// <summary>
    /// Writes only the computed status columns (the reconciler's part of a service), so it can never undo a
    /// concurrent change of desired state. The janitor's warning mark is cleared when the service runs again.
    /// </summary>
    public void UpdateStatus(string name, string status, string reason, string message, DateTimeOffset? idleSince)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            UPDATE services SET status=$status, reason=$reason, message=$msg, idle_since=$idle,
                janitor_warned_at = CASE WHEN $idle IS NULL THEN NULL ELSE janitor_warned_at END
            WHERE name=$n AND status <> 'Deleting'
            """,
            ("$n", name), ("$status", status), ("$reason", reason), ("$msg", message), ("$idle", idleSince is { } i ? Ms(i) : null));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Records that the janitor warned about a service.</summary>
    public void SetJanitorWarned(string name, DateTimeOffset at)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "UPDATE services SET janitor_warned_at=$at WHERE name=$n", ("$n", name), ("$at", Ms(at)));
        cmd.ExecuteNonQuery();
    }

    public ServiceRecord? GetService(string name)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT * FROM services WHERE name=$n", ("$n", name));
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadService(r) : null;
    }

    public List<ServiceRecord> ListServices()
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT * FROM services ORDER BY name");
        using var r = cmd.ExecuteReader();
        var list = new List<ServiceRecord>();
        while (r.Read())
        {
            list.Add(ReadService(r));
        }

        return list;
    }

    /// <summary>Removes a service with its versions and instance records; its events stay, as an audit trail.</summary>
    public bool DeleteService(string name)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using (var i = Cmd(c, tx, "DELETE FROM instances WHERE service=$n", ("$n", name)))
        {
            i.ExecuteNonQuery();
        }

        int n;
        using (var s = Cmd(c, tx, "DELETE FROM services WHERE name=$n", ("$n", name)))
        {
            n = s.ExecuteNonQuery();
        }

        tx.Commit();
        return n > 0;
    }

    // ---- versions -------------------------------------------------------------------------

    public VersionRecord? GetVersion(string service, int version)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT service, version, spec, create_time FROM versions WHERE service=$s AND version=$v",
            ("$s", service), ("$v", version));
        using var r = cmd.ExecuteReader();
        return r.Read() ? new VersionRecord(r.GetString(0), r.GetInt32(1), r.GetString(2), FromMs(r.GetInt64(3))) : null;
    }

    public List<VersionRecord> ListVersions(string service)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT service, version, spec, create_time FROM versions WHERE service=$s ORDER BY version",
            ("$s", service));
        using var r = cmd.ExecuteReader();
        var list = new List<VersionRecord>();
        while (r.Read())
        {
            list.Add(new VersionRecord(r.GetString(0), r.GetInt32(1), r.GetString(2), FromMs(r.GetInt64(3))));
        }

        return list;
    }

    // ---- events ---------------------------------------------------------------------------

    public void AddEvent(string service, DateTimeOffset time, string type, string reason, string message, string? instance = null)
    {
        using var c = Open();
        using var cmd = Cmd(c, null,
            "INSERT INTO events(service, time, type, reason, message, instance) VALUES($s, $t, $ty, $r, $m, $i)",
            ("$s", service), ("$t", Ms(time)), ("$ty", type), ("$r", reason), ("$m", message), ("$i", instance));
        cmd.ExecuteNonQuery();
    }

    /// <summary>The newest <paramref name="limit"/> events, oldest first.</summary>
    public List<EventRecord> ListEvents(string service, int limit, DateTimeOffset? since = null)
    {
        using var c = Open();
        using var cmd = Cmd(c, null,
            "SELECT * FROM (SELECT id, service, time, type, reason, message, instance FROM events WHERE service=$s AND time>=$since ORDER BY id DESC LIMIT $l) ORDER BY id",
            ("$s", service), ("$l", limit), ("$since", since is { } t ? Ms(t) : 0L));
        using var r = cmd.ExecuteReader();
        var list = new List<EventRecord>();
        while (r.Read())
        {
            list.Add(new EventRecord(r.GetInt64(0), r.GetString(1), FromMs(r.GetInt64(2)), r.GetString(3), r.GetString(4),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
        }

        return list;
    }

    /// <summary>Deletes events older than <paramref name="before"/>; returns how many.</summary>
    public int PruneEvents(DateTimeOffset before)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "DELETE FROM events WHERE time < $t", ("$t", Ms(before)));
        return cmd.ExecuteNonQuery();
    }

    // ---- instances ------------------------------------------------------------------------

    public void UpsertInstance(InstanceRecord i)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            INSERT INTO instances(id, service, version, state, pid, port, restart_count, reason, message, last_exit_code,
                last_reason, last_finished_at, create_time, start_time, cpu, memory_mb, gpu, resource_group, overflow, preempt_at)
            VALUES($id, $s, $v, $st, $pid, $port, $rc, $r, $m, $lec, $lr, $lfa, $ct, $stt, $cpu, $mem, $gpu, $rg, $of, $pa)
            ON CONFLICT(id) DO UPDATE SET state=$st, pid=$pid, port=$port, restart_count=$rc, reason=$r, message=$m,
                last_exit_code=$lec, last_reason=$lr, last_finished_at=$lfa, start_time=$stt, resource_group=$rg, overflow=$of,
                preempt_at=$pa
            """,
            ("$id", i.Id), ("$s", i.Service), ("$v", i.Version), ("$st", i.State), ("$pid", i.Pid), ("$port", i.Port),
            ("$rc", i.RestartCount), ("$r", i.Reason), ("$m", i.Message), ("$lec", i.LastExitCode), ("$lr", i.LastReason),
            ("$lfa", i.LastFinishedAt is { } f ? Ms(f) : null), ("$ct", Ms(i.CreateTime)),
            ("$stt", i.StartTime is { } st ? Ms(st) : null), ("$cpu", i.Cpu), ("$mem", i.MemoryMb), ("$gpu", i.Gpu),
            ("$rg", i.ResourceGroup), ("$of", i.Overflow ? 1 : 0), ("$pa", i.PreemptAt is { } pa ? Ms(pa) : null));
        cmd.ExecuteNonQuery();
    }

    public void DeleteInstance(string id)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "DELETE FROM instances WHERE id=$id", ("$id", id));
        cmd.ExecuteNonQuery();
    }

    public List<InstanceRecord> ListInstances()
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT * FROM instances ORDER BY create_time, id");
        using var r = cmd.ExecuteReader();
        var list = new List<InstanceRecord>();
        while (r.Read())
        {
            list.Add(new InstanceRecord
            {
                Id = r.GetString(r.GetOrdinal("id")),
                Service = r.GetString(r.GetOrdinal("service")),
                Version = r.GetInt32(r.GetOrdinal("version")),
                State = r.GetString(r.GetOrdinal("state")),
                Pid = NullableInt(r, "pid"),
                Port = r.GetInt32(r.GetOrdinal("port")),
                RestartCount = r.GetInt32(r.GetOrdinal("restart_count")),
                Reason = r.GetString(r.GetOrdinal("reason")),
                Message = r.GetString(r.GetOrdinal("message")),
                LastExitCode = NullableInt(r, "last_exit_code"),
                LastReason = r.GetString(r.GetOrdinal("last_reason")),
                LastFinishedAt = NullableTime(r, "last_finished_at"),
                CreateTime = FromMs(r.GetInt64(r.GetOrdinal("create_time"))),
                StartTime = NullableTime(r, "start_time"),
                Cpu = r.GetDouble(r.GetOrdinal("cpu")),
                MemoryMb = r.GetInt64(r.GetOrdinal("memory_mb")),
                Gpu = r.GetInt32(r.GetOrdinal("gpu")),
                ResourceGroup = r.GetString(r.GetOrdinal("resource_group")),
                Overflow = r.GetInt32(r.GetOrdinal("overflow")) != 0,
                PreemptAt = NullableTime(r, "preempt_at"),
            });
        }

        return list;
    }

    // ---- plumbing -------------------------------------------------------------------------

    private static void WriteService(SqliteConnection c, SqliteTransaction? tx, ServiceRecord s, bool insert)
    {
        var sql = insert
            ? """
              INSERT INTO services(name, current_version, latest_version, desired_instances, stopped, status, reason, message,
                  token, create_time, update_time, idle_since, janitor_warned_at, previous_token, previous_token_expires, autoscaler, cronscaler)
              VALUES($n, $cv, $lv, $di, $st, $status, $reason, $msg, $tok, $ct, $ut, $idle, $jw, $ptok, $pexp, $auto, $cron)
              """
            : """
              UPDATE services SET current_version=$cv, latest_version=$lv, desired_instances=$di, stopped=$st, status=$status,
                  reason=$reason, message=$msg, token=$tok, update_time=$ut, idle_since=$idle, janitor_warned_at=$jw,
                  previous_token=$ptok, previous_token_expires=$pexp, autoscaler=$auto, cronscaler=$cron
              WHERE name=$n
              """;
        using var cmd = Cmd(c, tx, sql,
            ("$n", s.Name), ("$cv", s.CurrentVersion), ("$lv", s.LatestVersion), ("$di", s.DesiredInstances),
            ("$st", s.Stopped ? 1 : 0), ("$status", s.Status), ("$reason", s.Reason), ("$msg", s.Message), ("$tok", s.Token),
            ("$ct", Ms(s.CreateTime)), ("$ut", Ms(s.UpdateTime)), ("$idle", s.IdleSince is { } i ? Ms(i) : null),
            ("$jw", s.JanitorWarnedAt is { } w ? Ms(w) : null), ("$ptok", s.PreviousToken),
            ("$pexp", s.PreviousTokenExpires is { } p ? Ms(p) : null), ("$auto", s.Autoscaler), ("$cron", s.CronScaler));
        cmd.ExecuteNonQuery();
    }

    private static ServiceRecord ReadService(SqliteDataReader r) => new()
    {
        Name = r.GetString(r.GetOrdinal("name")),
        CurrentVersion = r.GetInt32(r.GetOrdinal("current_version")),
        LatestVersion = r.GetInt32(r.GetOrdinal("latest_version")),
        DesiredInstances = r.GetInt32(r.GetOrdinal("desired_instances")),
        Stopped = r.GetInt32(r.GetOrdinal("stopped")) != 0,
        Status = r.GetString(r.GetOrdinal("status")),
        Reason = r.GetString(r.GetOrdinal("reason")),
        Message = r.GetString(r.GetOrdinal("message")),
        Token = r.GetString(r.GetOrdinal("token")),
        CreateTime = FromMs(r.GetInt64(r.GetOrdinal("create_time"))),
        UpdateTime = FromMs(r.GetInt64(r.GetOrdinal("update_time"))),
        IdleSince = NullableTime(r, "idle_since"),
        JanitorWarnedAt = NullableTime(r, "janitor_warned_at"),
        PreviousToken = r.IsDBNull(r.GetOrdinal("previous_token")) ? null : r.GetString(r.GetOrdinal("previous_token")),
        PreviousTokenExpires = NullableTime(r, "previous_token_expires"),
        Autoscaler = r.IsDBNull(r.GetOrdinal("autoscaler")) ? null : r.GetString(r.GetOrdinal("autoscaler")),
        CronScaler = r.IsDBNull(r.GetOrdinal("cronscaler")) ? null : r.GetString(r.GetOrdinal("cronscaler")),
    };

    private static SqliteCommand Cmd(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static int? NullableInt(SqliteDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetInt32(i);
    }

    private static DateTimeOffset? NullableTime(SqliteDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : FromMs(r.GetInt64(i));
    }
}
