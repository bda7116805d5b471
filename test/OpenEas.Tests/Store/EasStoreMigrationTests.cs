using Microsoft.Data.Sqlite;
using OpenEas.Core.Store;

namespace OpenEas.Tests.Store;

public sealed class EasStoreMigrationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "openeas-store-" + Guid.NewGuid().ToString("N")[..12]);

    public EasStoreMigrationTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void A_state_db_from_before_token_rotation_gains_the_columns_and_keeps_its_services()
    {
        var path = Path.Combine(_dir, "state.db");
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            // The services table as the first release created it.
            cmd.CommandText = """
                CREATE TABLE services (
                    name TEXT PRIMARY KEY, current_version INTEGER NOT NULL, latest_version INTEGER NOT NULL,
                    desired_instances INTEGER NOT NULL, stopped INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL,
                    message TEXT NOT NULL, token TEXT NOT NULL, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL,
                    idle_since INTEGER NULL, janitor_warned_at INTEGER NULL);
                INSERT INTO services VALUES ('old', 1, 1, 1, 0, 'Running', '', '', 'old-token', 0, 0, NULL, NULL);
                """;
            cmd.ExecuteNonQuery();
        }

        var store = new EasStore(path);
        var old = store.GetService("old")!;
        Assert.Equal("old-token", old.Token);
        Assert.Null(old.PreviousToken);
        Assert.Null(old.PreviousTokenExpires);

        var expires = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        store.UpdateService(old with { Token = "new-token", PreviousToken = "old-token", PreviousTokenExpires = expires });

        // Opening again (a restart) migrates nothing twice and reads what was written.
        var reopened = new EasStore(path).GetService("old")!;
        Assert.Equal("new-token", reopened.Token);
        Assert.Equal("old-token", reopened.PreviousToken);
        Assert.Equal(expires, reopened.PreviousTokenExpires);
    }
}
