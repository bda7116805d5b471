using OpenEas.Core.Routing;

namespace OpenEas.Tests.Routing;

public class RouteTableTests
{
    private static readonly RoutePolicy Policy = RoutePolicy.Default with { Timeout = TimeSpan.FromSeconds(5) };

    private static (string, string)[] Ready(params string[] ids) => [.. ids.Select(id => (id, Address(id)))];

    private static string Address(string id) => $"http://127.0.0.1:{40000 + id[^1]}/";

    [Fact]
    public void Published_route_is_found_with_its_endpoints()
    {
        var table = new RouteTable();

        table.Publish("echo", "tok", Policy, Ready("a", "b"));

        var route = table.Find("echo");
        Assert.NotNull(route);
        Assert.Equal("echo", route.Name);
        Assert.Equal("tok", route.Token);
        Assert.Equal("tok"u8.ToArray(), route.TokenBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), route.Timeout);
        Assert.Equal(["a", "b"], route.Endpoints.Select(e => e.InstanceId));
        Assert.Equal([Address("a"), Address("b")], route.Endpoints.Select(e => e.Address));
        Assert.Null(table.Find("other"));
    }

    [Fact]
    public void Publishing_again_replaces_the_route_and_leaves_other_services_alone()
    {
        var table = new RouteTable();
        table.Publish("echo", "tok", Policy, Ready("a", "b"));
        table.Publish("other", "t2", Policy, Ready("x"));
        var before = table.Snapshot;

        table.Publish("echo", "tok2", Policy, Ready("c"));

        Assert.Equal("tok2", table.Find("echo")!.Token);
        Assert.Equal(["c"], table.Find("echo")!.Endpoints.Select(e => e.InstanceId));
        Assert.Equal(["x"], table.Find("other")!.Endpoints.Select(e => e.InstanceId));
        // Readers holding the old snapshot keep a consistent view.
        Assert.Equal(["a", "b"], before["echo"].Endpoints.Select(e => e.InstanceId));
    }

    [Fact]
    public void Service_with_no_ready_instance_has_a_route_without_endpoints()
    {
        var table = new RouteTable();

        table.Publish("echo", "tok", Policy, []);

        Assert.Empty(table.Find("echo")!.Endpoints);
    }

    [Fact]
    public void Removed_service_is_no_longer_found()
    {
        var table = new RouteTable();
        table.Publish("echo", "tok", Policy, Ready("a"));
        table.Publish("other", "tok", Policy, Ready("b"));

        table.Remove("echo");
        table.Remove("never-published");

        Assert.Null(table.Find("echo"));
        Assert.NotNull(table.Find("other"));
        Assert.Equal("other", Assert.Single(table.Snapshot).Key);
    }

    [Fact]
    public void In_flight_counts_carry_over_when_a_route_is_republished()
    {
        var table = new RouteTable();
        table.Publish("echo", "tok", Policy, Ready("a", "b"));
        var a = table.Find("echo")!.Endpoints[0];
        a.Enter();
        a.Enter();

        table.Publish("echo", "tok", Policy, Ready("a", "b", "c"));

        var republished = table.Find("echo")!.Endpoints[0];
        Assert.Same(a, republished);
        Assert.Equal(2, republished.InFlight);
        Assert.Equal(2, table.InFlight("a"));

        // A request that started on the old snapshot finishes on the same counter.
        a.Leave();
        Assert.Equal(1, table.InFlight("a"));
    }

    [Fact]
    public void Instance_with_a_new_address_gets_a_fresh_endpoint()
    {
        var table = new RouteTable();
        table.Publish("echo", "tok", Policy, [("a", "http://127.0.0.1:40001/")]);
        var old = table.Find("echo")!.Endpoints[0];
        old.Enter();

        table.Publish("echo", "tok", Policy, [("a", "http://127.0.0.1:40002/")]);

        var fresh = table.Find("echo")!.Endpoints[0];
        Assert.NotSame(old, fresh);
        Assert.Equal("http://127.0.0.1:40002/", fresh.Address);
        Assert.Equal(0, fresh.InFlight);
    }

    [Fact]
    public void Endpoint_is_shared_between_callers_by_instance_id()
    {
        var table = new RouteTable();
        var draining = table.Endpoint("a", Address("a"));
        draining.Enter();

        table.Publish("echo", "tok", Policy, Ready("a"));

        Assert.Same(draining, table.Find("echo")!.Endpoints[0]);
        Assert.Equal(1, table.InFlight("a"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("nobody")]
    [InlineData("a")]
    public void In_flight_of_an_unknown_or_forgotten_instance_is_zero(string instance)
    {
        var table = new RouteTable();
        table.Publish("echo", "tok", Policy, Ready("a"));
        table.Find("echo")!.Endpoints[0].Enter();
        table.Forget("a");

        Assert.Equal(0, table.InFlight(instance));
    }

    [Fact]
    public void Publishing_the_same_route_again_keeps_the_snapshot()
    {
        using var table = new RouteTable();
        table.Publish("echo", "tok", Policy, Ready("a", "b"));
        var before = table.Snapshot;

        table.Publish("echo", "tok", Policy, Ready("a", "b"));

        Assert.Same(before, table.Snapshot);
    }

    [Fact]
    public void The_gate_outlives_snapshots_until_the_rate_limit_changes()
    {
        using var table = new RouteTable();
        table.Publish("echo", "tok", Policy, Ready("a"));
        var gate = table.Find("echo")!.Gate;
        Assert.Null(gate.Limiter);

        table.Publish("echo", "tok", Policy, Ready("a", "b"));
        Assert.Same(gate, table.Find("echo")!.Gate);

        table.Publish("echo", "tok", Policy with { RateLimit = 5 }, Ready("a", "b"));
        var limited = table.Find("echo")!.Gate;
        Assert.NotSame(gate, limited);
        Assert.NotNull(limited.Limiter);
    }
}
