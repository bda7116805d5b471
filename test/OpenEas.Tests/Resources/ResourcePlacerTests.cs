using OpenEas.Core.Resources;
using OpenEas.Core.Specs;

namespace OpenEas.Tests.Resources;

public class ResourcePlacerTests
{
    /// <summary>Groups as <c>name:capacity-cpu:used-cpu[:reclaimed-cpu]</c>, memory 1000 MB each with 100 MB used per used core.</summary>
    private static Dictionary<string, GroupRoom> Groups(string groups) =>
        groups.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(g =>
        {
            var p = g.Split(':');
            var cpu = double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture);
            var used = double.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture);
            var reclaimed = p.Length > 3 ? double.Parse(p[3], System.Globalization.CultureInfo.InvariantCulture) : 0;
            return new GroupRoom(p[0], new ResourceAmount(cpu, 1000, 0), new ResourceAmount(used, (long)(used * 100), 0),
                new ResourceAmount(reclaimed, (long)(reclaimed * 100), 0), Spot: false);
        }).ToDictionary(g => g.Name);

    [Theory]
    // The own group when it has room.
    [InlineData("public:8:0 a:2:1", "a", 1.0, "a", false)]
    // Full own group, burstable → public, as overflow.
    [InlineData("public:8:0 a:2:1.5", "a public", 1.0, "public", true)]
    // Fallbacks are tried in order.
    [InlineData("public:8:0 a:2:2 b:1:0.5 c:4:0", "a b c", 1.0, "c", true)]
    // Reclaimed capacity does not count as free.
    [InlineData("public:8:0 spot:2:0:2", "spot public", 0.5, "public", true)]
    [InlineData("public:8:0 spot:2:0:1", "spot public", 1.0, "spot", false)]
    // Exactly full still fits (float slack).
    [InlineData("public:0.3:0.2", "public", 0.1, "public", false)]
    public void Places_in_the_first_group_with_room(string groups, string order, double cpu, string expected, bool overflow)
    {
        var placement = ResourcePlacer.Place(new ResourceAmount(cpu, 64, 0), order.Split(' '), Groups(groups));
        Assert.Equal((expected, overflow), (placement.Group, placement.Overflow));
    }

    [Theory]
    [InlineData("public:8:0 a:2:2", "a", 1.0, "needs cpu 1, memory 64 MB; a has cpu 0 of 2, memory 800 of 1000 MB free")]
    [InlineData("public:8:0", "gone public", 9.0, "needs cpu 9, memory 64 MB; gone: no such resource group; public has cpu 8 of 8")]
    [InlineData("public:1:0 spot:2:0:2", "spot", 1.0, "spot has cpu 0 of 2, memory 800 of 1000 MB free (cpu 2, memory 200 MB reclaimed by a preemption)")]
    public void Says_why_an_instance_waits(string groups, string order, double cpu, string reason)
    {
        var placement = ResourcePlacer.Place(new ResourceAmount(cpu, 64, 0), order.Split(' '), Groups(groups));
        Assert.False(placement.Placed);
        Assert.Contains(reason, placement.WaitReason);
    }

    [Fact]
    public void A_gpu_instance_waits_where_no_gpu_is_declared()
    {
        var groups = new Dictionary<string, GroupRoom>
        {
            ["public"] = new("public", new ResourceAmount(8, 8000, 0), ResourceAmount.Zero, ResourceAmount.Zero, false),
            ["gpus"] = new("gpus", new ResourceAmount(8, 8000, 2), new ResourceAmount(1, 100, 2), ResourceAmount.Zero, false),
        };
        var placement = ResourcePlacer.Place(new ResourceAmount(1, 100, 1), ["gpus", "public"], groups);
        Assert.False(placement.Placed);
        Assert.Contains("gpus has cpu 7 of 8, memory 7900 of 8000 MB, gpu 0 of 2 free", placement.WaitReason);
        Assert.Contains("public has cpu 8 of 8, memory 8000 of 8000 MB, gpu 0 of 0 free", placement.WaitReason);
    }

    [Theory]
    [InlineData("""{"resource": "a"}""", "a")]
    [InlineData("""{"resource": "a", "resource_burstable": true}""", "a public")]
    [InlineData("""{"resource": "a", "resource_fallback": "b", "resource_burstable": true}""", "a b public")]
    [InlineData("""{"resource": "a", "resource_fallback": ["b", "public", "a"]}""", "a b public")]
    [InlineData("""{}""", "public")]
    [InlineData("""{"resource_burstable": true}""", "public")]
    public void The_placement_order_is_own_group_then_fallbacks_then_public_when_burstable(string metadata, string order)
    {
        var parsed = ServiceSpecParser.Parse($$"""{"name": "s", "containers": [{"script": "x"}], "metadata": {{metadata}} }""");
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        Assert.Equal(order.Split(' '), parsed.Spec!.Metadata.PlacementOrder());
    }

    [Theory]
    [InlineData("""{"resource_fallback": 3}""", "metadata.resource_fallback", "must be a string")]
    [InlineData("""{"resource_fallback": []}""", "metadata.resource_fallback", "must not be empty")]
    [InlineData("""{"resource_fallback": ["b", 1]}""", "metadata.resource_fallback[1]", "must be a string")]
    public void A_bad_fallback_is_an_error_at_its_path(string metadata, string path, string message)
    {
        var parsed = ServiceSpecParser.Parse($$"""{"name": "s", "containers": [{"script": "x"}], "metadata": {{metadata}} }""");
        var error = Assert.Single(parsed.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message);
    }
}
