using System.Text.Json.Nodes;
using OpenEas.Core.Specs;

namespace OpenEas.Tests.Specs;

public class SpecMergeTests
{
    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual.ToJsonString()}");

    [Theory]
    [InlineData("""{"a": 1}""", """{"a": 2}""", """{"a": 2}""")]
    [InlineData("""{"a": 1}""", """{"b": 2}""", """{"a": 1, "b": 2}""")]
    [InlineData("""{"a": 1, "b": 2}""", """{"a": null}""", """{"b": 2}""")]
    [InlineData("""{"m": {"x": 1, "y": 2}}""", """{"m": {"y": 3, "z": 4}}""", """{"m": {"x": 1, "y": 3, "z": 4}}""")]
    [InlineData("""{"m": {"x": 1, "y": 2}}""", """{"m": {"x": null}}""", """{"m": {"y": 2}}""")]
    [InlineData("""{"l": [1, 2, 3]}""", """{"l": [4]}""", """{"l": [4]}""")]
    [InlineData("""{"c": [{"image": "a", "port": 1}]}""", """{"c": [{"port": 2}]}""", """{"c": [{"port": 2}]}""")]
    [InlineData("""{"m": 5}""", """{"m": {"x": 1, "y": null}}""", """{"m": {"x": 1}}""")]
    [InlineData("""{"m": {"x": 1}}""", """{"m": "flat"}""", """{"m": "flat"}""")]
    [InlineData("""{"a": 1}""", """{}""", """{"a": 1}""")]
    [InlineData("""{"a": 1}""", """{"missing": null}""", """{"a": 1}""")]
    public void Merge_follows_json_merge_patch(string current, string patch, string expected)
    {
        AssertJson(expected, SpecMerge.Merge(Obj(current), Obj(patch)));
    }

    [Theory]
    [InlineData("""{"c": [{"image": "a", "port": 1}]}""", """{"c": {"[0]": {"port": 2}}}""", """{"c": [{"image": "a", "port": 2}]}""")]
    [InlineData("""{"c": [{"image": "a"}]}""", """{"c": {"[1]": {"image": "b"}}}""", """{"c": [{"image": "a"}, {"image": "b"}]}""")]
    [InlineData("""{"c": [{"image": "a"}, {"image": "b"}]}""", """{"c": {"[0]": null}}""", """{"c": [{"image": "b"}]}""")]
    [InlineData("""{"c": [1, 2]}""", """{"c": {"[1]": 9}}""", """{"c": [1, 9]}""")]
    [InlineData("""{}""", """{"c": {"[0]": {"image": "a"}, "[1]": {"image": "b"}}}""", """{"c": [{"image": "a"}, {"image": "b"}]}""")]
    [InlineData("""{"c": [{"env": [{"name": "A", "value": "1"}]}]}""", """{"c": {"[0]": {"env": {"[0]": {"value": "2"}}}}}""",
        """{"c": [{"env": [{"name": "A", "value": "2"}]}]}""")]
    public void Index_objects_patch_array_elements(string current, string patch, string expected)
    {
        AssertJson(expected, SpecMerge.Merge(Obj(current), Obj(patch)));
    }

    [Theory]
    [InlineData("""{"c": [{"image": "a"}]}""", """{"c": {"[2]": {"image": "b"}}}""", "c[2]: index past the end")]
    [InlineData("""{}""", """{"c": {"[1]": {"image": "b"}}}""", "c[1]: index past the end")]
    [InlineData("""{"c": {"x": 1}}""", """{"c": {"[0]": 1}}""", "c: is an object, not an array")]
    public void Index_past_the_end_is_rejected(string current, string patch, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => SpecMerge.Merge(Obj(current), Obj(patch)));

        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_does_not_change_its_inputs()
    {
        var current = Obj("""{"name": "a", "containers": [{"image": "x", "port": 1}], "metadata": {"instance": 1}}""");
        var patch = Obj("""{"containers": {"[0]": {"port": 2}}, "metadata": {"instance": 3, "cpu": 2}}""");
        var currentBefore = current.ToJsonString();
        var patchBefore = patch.ToJsonString();

        var merged = SpecMerge.Merge(current, patch);
        merged["metadata"]!["instance"] = 7;

        Assert.Equal(currentBefore, current.ToJsonString());
        Assert.Equal(patchBefore, patch.ToJsonString());
    }

    [Theory]
    [InlineData("""{"metadata": {"rpc.keepalive": 1000}}""", """{"metadata": {"rpc": {"keepalive": 5000}}}""", """{"metadata": {"rpc.keepalive": 5000}}""")]
    [InlineData("""{"metadata": {"rpc": {"keepalive": 1000, "batching": true}}}""", """{"metadata": {"rpc.keepalive": 5000}}""",
        """{"metadata": {"rpc": {"keepalive": 5000, "batching": true}}}""")]
    [InlineData("""{"metadata": {"rpc.keepalive": 1000}}""", """{"metadata": {"rpc": {"keepalive": 5000, "batching": true}}}""",
        """{"metadata": {"rpc.keepalive": 5000, "rpc": {"batching": true}}}""")]
    [InlineData("""{"metadata": {"instance": 1}}""", """{"metadata": {"rpc.keepalive": 5000}}""", """{"metadata": {"instance": 1, "rpc.keepalive": 5000}}""")]
    public void Metadata_values_are_patched_where_the_spec_keeps_them(string current, string patch, string expected)
    {
        AssertJson(expected, SpecMerge.Merge(Obj(current), Obj(patch)));
    }

    [Fact]
    public void Patched_spec_with_dotted_keys_still_parses()
    {
        var current = Obj("""{"name": "svc", "containers": [{"script": "x"}], "metadata": {"rpc.keepalive": 1000}}""");
        var patch = SpecMerge.FromDottedAssignments(["metadata.rpc.keepalive=5000"]);

        var result = ServiceSpecParser.Parse(SpecMerge.Merge(current, patch));

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(5000, result.Spec!.Metadata.Rpc.KeepaliveMs);
    }

    [Theory]
    [InlineData("""{"name": "a", "metadata": {"instance": 1}}""", """{"name": "a", "metadata": {"instance": 3}}""", true)]
    [InlineData("""{"name": "a", "metadata": {"instance": 1, "cpu": 2}}""", """{"name": "a", "metadata": {"cpu": 2, "instance": 3}}""", true)]
    [InlineData("""{"name": "a", "metadata": {"instance": 1}}""", """{"name": "a", "metadata": {"instance": 1}}""", true)]
    [InlineData("""{"name": "a"}""", """{"name": "a", "metadata": {"instance": 2}}""", true)]
    [InlineData("""{"name": "a", "metadata": {"instance": 1}}""", """{"name": "a", "metadata": {"instance": 3, "cpu": 2}}""", false)]
    [InlineData("""{"name": "a", "metadata": {"instance": 1}}""", """{"name": "b", "metadata": {"instance": 3}}""", false)]
    [InlineData("""{"c": [{"image": "x"}], "metadata": {"instance": 1}}""", """{"c": [{"image": "y"}], "metadata": {"instance": 1}}""", false)]
    public void Differs_only_in_instance_count(string a, string b, bool expected)
    {
        Assert.Equal(expected, SpecMerge.DiffersOnlyInInstanceCount(Obj(a), Obj(b)));
        Assert.Equal(expected, SpecMerge.DiffersOnlyInInstanceCount(Obj(b), Obj(a)));
    }

    [Theory]
    [InlineData("metadata.instance=3", """{"metadata": {"instance": 3}}""")]
    [InlineData("metadata.instance=3|metadata.cpu=2.5", """{"metadata": {"instance": 3, "cpu": 2.5}}""")]
    [InlineData("containers[0].image=registry/app:2", """{"containers": {"[0]": {"image": "registry/app:2"}}}""")]
    [InlineData("containers[0].port=9000|containers[0].script=python app.py", """{"containers": {"[0]": {"port": 9000, "script": "python app.py"}}}""")]
    [InlineData("metadata.rpc.batching=true", """{"metadata": {"rpc": {"batching": true}}}""")]
    [InlineData("name=echo", """{"name": "echo"}""")]
    [InlineData("description=", """{"description": ""}""")]
    [InlineData("labels={\"team\":\"a\"}", """{"labels": {"team": "a"}}""")]
    [InlineData("metadata.group=null", """{"metadata": {"group": null}}""")]
    [InlineData("token=\"007\"", """{"token": "007"}""")]
    [InlineData("model_config=a=b", """{"model_config": "a=b"}""")]
    [InlineData("containers[0].env[1].value=x", """{"containers": {"[0]": {"env": {"[1]": {"value": "x"}}}}}""")]
    [InlineData("metadata.instance=1|metadata.instance=2", """{"metadata": {"instance": 2}}""")]
    public void Dotted_assignments_build_a_patch(string assignments, string expected)
    {
        AssertJson(expected, SpecMerge.FromDottedAssignments(assignments.Split('|')));
    }

    [Theory]
    [InlineData("metadata.instance", "is not an assignment")]
    [InlineData("=3", "empty name")]
    [InlineData("metadata..instance=3", "empty name")]
    [InlineData("containers[x].port=1", "is not name[index]")]
    [InlineData("containers[0.port=1", "is not name[index]")]
    [InlineData("[0].port=1", "empty name")]
    public void Bad_assignments_are_rejected(string assignment, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => SpecMerge.FromDottedAssignments([assignment]));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assignment_inside_a_value_set_earlier_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => SpecMerge.FromDottedAssignments(["metadata=3", "metadata.instance=2"]));

        Assert.Contains("metadata.instance=2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Modify_with_assignments_changes_only_what_it_names()
    {
        var current = Obj("""
            {"name": "svc", "containers": [{"image": "app:1", "script": "serve", "port": 8000}], "metadata": {"instance": 1, "cpu": 1}}
            """);

        var scaled = SpecMerge.Merge(current, SpecMerge.FromDottedAssignments(["metadata.instance=3"]));
        var updated = SpecMerge.Merge(current, SpecMerge.FromDottedAssignments(["containers[0].image=app:2"]));

        AssertJson("""{"name": "svc", "containers": [{"image": "app:1", "script": "serve", "port": 8000}], "metadata": {"instance": 3, "cpu": 1}}""", scaled);
        AssertJson("""{"name": "svc", "containers": [{"image": "app:2", "script": "serve", "port": 8000}], "metadata": {"instance": 1, "cpu": 1}}""", updated);
        Assert.True(SpecMerge.DiffersOnlyInInstanceCount(current, scaled));
        Assert.False(SpecMerge.DiffersOnlyInInstanceCount(current, updated));
        Assert.True(ServiceSpecParser.Parse(updated).IsValid);
    }
}
