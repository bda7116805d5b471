using OpenEas.Gateway.Queue;

namespace OpenEas.Tests.Queue;

public class RequestIdTests
{
    [Fact]
    public void A_generated_request_id_is_a_uuid_v7_of_its_time_in_32_hex_digits()
    {
        var now = DateTimeOffset.Parse("2026-12-06T00:40:00.123Z", System.Globalization.CultureInfo.InvariantCulture);
        var id = QueueGateway.NewRequestId(now);

        Assert.Matches("^[0-9a-f]{32}$", id);
        var guid = Guid.ParseExact(id, "N");
        Assert.Equal(7, guid.Version);
        Assert.Equal(0b10, guid.Variant >> 2);
        Assert.Equal(now.ToUnixTimeMilliseconds(), Convert.ToInt64(id[..12], 16));
    }

    [Fact]
    public void Request_ids_sort_by_time_and_do_not_repeat()
    {
        var start = DateTimeOffset.UnixEpoch.AddYears(56);
        var ids = Enumerable.Range(0, 100_000).Select(i => QueueGateway.NewRequestId(start.AddMilliseconds(i / 10))).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        for (var i = 10; i < ids.Count; i += 10)
        {
            Assert.True(string.CompareOrdinal(ids[i - 1], ids[i]) < 0, $"{ids[i - 1]} (ms {(i - 1) / 10}) sorts after {ids[i]} (ms {i / 10})");
        }
    }
}
