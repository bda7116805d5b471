using Microsoft.Data.Sqlite;

namespace OpenEas.Core.Store;

/// <summary>A service's place in a service group: its weight (0-100) and when it joined (members keep that order).</summary>
public sealed record GroupMemberRecord(string Group, string Service, int Weight, DateTimeOffset JoinTime);

/// <summary>A group's own settings: the sticky key (a header or a cookie, or neither).</summary>
public sealed record GroupSettingsRecord(string Name, string? StickyHeader, string? StickyCookie);

/// <summary>Mirroring of a service's calls: the share copied (0-100) and the test services that get the copies.</summary>
public sealed record MirrorRecord(string Service, IReadOnlyList<string> Targets, int Ratio);

public sealed partial class EasStore
{
    /// <summary>Service groups, mirroring and canary releases. Membership goes with its service; a release with its main service.</summary>
    private static void MigrateRelease(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            CREATE TABLE IF NOT EXISTS group_members (
                grp TEXT NOT NULL,
                service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
                weight INTEGER NOT NULL,
                join_time INTEGER NOT NULL,
                PRIMARY KEY (grp, service)
            );
            CREATE TABLE IF NOT EXISTS service_groups (
                name TEXT PRIMARY KEY,
                sticky_header TEXT NULL,
                sticky_cookie TEXT NULL
            );
            CREATE TABLE IF NOT EXISTS mirrors (
                service TEXT PRIMARY KEY REFERENCES services(name) ON DELETE CASCADE,
                targets TEXT NOT NULL,
                ratio INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS releases (
                service TEXT PRIMARY KEY REFERENCES services(name) ON DELETE CASCADE,
                state TEXT NOT NULL
            );
            """;
        cmd.ExecuteNonQuery();
    }

    // ---- groups ---------------------------------------------------------------------------

    /// <summary>Every membership, in join order.</summary>
    public List<GroupMemberRecord> ListGroupMembers()
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT grp, service, weight, join_time FROM group_members ORDER BY grp, join_time, rowid");
        using var r = cmd.ExecuteReader();
        var list = new List<GroupMemberRecord>();
        while (r.Read())
        {
            list.Add(new GroupMemberRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), FromMs(r.GetInt64(3))));
        }

        return list;
    }

    /// <summary>Adds a member (false when the service is gone or already a member).</summary>
    public bool AddGroupMember(GroupMemberRecord m)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            INSERT OR IGNORE INTO group_members(grp, service, weight, join_time)
            SELECT $g, $s, $w, $t WHERE EXISTS (SELECT 1 FROM services WHERE name=$s)
            """, ("$g", m.Group), ("$s", m.Service), ("$w", m.Weight), ("$t", Ms(m.JoinTime)));
        return cmd.ExecuteNonQuery() > 0;
    }

    public void RemoveGroupMember(string group, string service)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "DELETE FROM group_members WHERE grp=$g AND service=$s", ("$g", group), ("$s", service));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Sets several members' weights in one transaction: the gateway never sees half of a change.</summary>
    public void SetGroupWeights(string group, IReadOnlyDictionary<string, int> weights)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var (service, weight) in weights)
        {
            using var cmd = Cmd(c, tx, "UPDATE group_members SET weight=$w WHERE grp=$g AND service=$s", ("$g", group), ("$s", service), ("$w", weight));
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public GroupSettingsRecord? GetGroupSettings(string group)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT name, sticky_header, sticky_cookie FROM service_groups WHERE name=$n", ("$n", group));
        using var r = cmd.ExecuteReader();
        return r.Read() ? new GroupSettingsRecord(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)) : null;
    }

    public List<GroupSettingsRecord> ListGroupSettings()
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT name, sticky_header, sticky_cookie FROM service_groups ORDER BY name");
        using var r = cmd.ExecuteReader();
        var list = new List<GroupSettingsRecord>();
        while (r.Read())
        {
            list.Add(new GroupSettingsRecord(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));
        }

        return list;
    }

    public void SetGroupSettings(GroupSettingsRecord settings)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            INSERT INTO service_groups(name, sticky_header, sticky_cookie) VALUES($n, $h, $c)
            ON CONFLICT(name) DO UPDATE SET sticky_header=$h, sticky_cookie=$c
            """, ("$n", settings.Name), ("$h", settings.StickyHeader), ("$c", settings.StickyCookie));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Forgets the settings of a group that has no member left.</summary>
    public void DeleteGroupSettings(string group)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "DELETE FROM service_groups WHERE name=$n", ("$n", group));
        cmd.ExecuteNonQuery();
    }

    // ---- mirroring ------------------------------------------------------------------------

    public List<MirrorRecord> ListMirrors()
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT service, targets, ratio FROM mirrors ORDER BY service");
        using var r = cmd.ExecuteReader();
        var list = new List<MirrorRecord>();
        while (r.Read())
        {
            list.Add(new MirrorRecord(r.GetString(0), r.GetString(1).Split(',', StringSplitOptions.RemoveEmptyEntries), r.GetInt32(2)));
        }

        return list;
    }

    /// <summary>Sets (or with null removes) a service's mirroring; false when the service does not exist.</summary>
    public bool SetMirror(string service, MirrorRecord? mirror)
    {
        using var c = Open();
        using var cmd = mirror is null
            ? Cmd(c, null, "DELETE FROM mirrors WHERE service=$s", ("$s", service))
            : Cmd(c, null, """
                INSERT INTO mirrors(service, targets, ratio) SELECT $s, $t, $r WHERE EXISTS (SELECT 1 FROM services WHERE name=$s)
                ON CONFLICT(service) DO UPDATE SET targets=$t, ratio=$r
                """, ("$s", service), ("$t", string.Join(',', mirror.Targets)), ("$r", mirror.Ratio));
        return cmd.ExecuteNonQuery() > 0 || mirror is null;
    }

    // ---- canary releases ------------------------------------------------------------------

    /// <summary>Every release (its state as JSON), keyed by main service.</summary>
    public Dictionary<string, string> ListReleases()
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT service, state FROM releases");
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read())
        {
            map[r.GetString(0)] = r.GetString(1);
        }

        return map;
    }

    public string? GetRelease(string service)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, "SELECT state FROM releases WHERE service=$s", ("$s", service));
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Writes a release's state; false when the main service is gone.</summary>
    public bool SaveRelease(string service, string stateJson)
    {
        using var c = Open();
        using var cmd = Cmd(c, null, """
            INSERT INTO releases(service, state) SELECT $s, $j WHERE EXISTS (SELECT 1 FROM services WHERE name=$s)
            ON CONFLICT(service) DO UPDATE SET state=$j
            """, ("$s", service), ("$j", stateJson));
        return cmd.ExecuteNonQuery() > 0;
    }
}
