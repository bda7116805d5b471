using OpenEas.Cli;
using OpenEas.Cli.Commands;

namespace OpenEas.Tests.Cli;

public class SpecPatchTests
{
    [Theory]
    [InlineData(new[] { "metadata.instance=3" }, """{"metadata":{"instance":3}}""")]
    [InlineData(new[] { "metadata.instance=3", "metadata.cpu=2" }, """{"metadata":{"instance":3,"cpu":2}}""")]
    [InlineData(new[] { "name=echo" }, """{"name":"echo"}""")]
    [InlineData(new[] { "metadata.enable_webservice=true" }, """{"metadata":{"enable_webservice":true}}""")]
    [InlineData(new[] { "metadata.rpc.keepalive=5000" }, """{"metadata":{"rpc":{"keepalive":5000}}}""")]
    [InlineData(new[] { "metadata.ratio=0.5" }, """{"metadata":{"ratio":0.5}}""")]
    [InlineData(new[] { "name=\"123\"" }, """{"name":"123"}""")]
    [InlineData(new[] { "containers=[{\"image\":\"x\"}]" }, """{"containers":[{"image":"x"}]}""")]
    [InlineData(new[] { "processor=" }, """{"processor":""}""")]
    [InlineData(new[] { "model_path=oss://bucket/a=b" }, """{"model_path":"oss://bucket/a=b"}""")]
    [InlineData(new[] { "metadata.instance=1", "metadata.instance=4" }, """{"metadata":{"instance":4}}""")]
    [InlineData(new[] { "containers[0].port=80" }, """{"containers":{"[0]":{"port":80}}}""")]
    public void Assignments_become_a_nested_patch(string[] assignments, string expected) =>
        Assert.Equal(expected, SpecPatch.FromAssignments(assignments).ToJsonString());

    [Theory]
    [InlineData("metadata.instance")]
    [InlineData("=3")]
    [InlineData("metadata..instance=3")]
    public void Malformed_assignments_are_usage_errors(string assignment)
    {
        var ex = Assert.Throws<CliException>(() => SpecPatch.FromAssignments([assignment]));
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
    }

    [Fact]
    public void An_assignment_under_a_value_is_a_usage_error()
    {
        var ex = Assert.Throws<CliException>(() => SpecPatch.FromAssignments(["metadata=1", "metadata.instance=2"]));
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
        Assert.Contains("\"metadata\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assignments_win_over_the_spec_file_and_the_rest_is_kept()
    {
        var file = SpecPatch.ParseObject("""{"metadata":{"instance":1,"cpu":2},"processor":"onnx"}""", "partial.json");
        var merged = SpecPatch.Merge(file, SpecPatch.FromAssignments(["metadata.instance=3"]));
        Assert.Equal("""{"metadata":{"instance":3,"cpu":2},"processor":"onnx"}""", merged.ToJsonString());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void A_spec_file_that_is_not_an_object_is_an_invalid_spec(string text)
    {
        var ex = Assert.Throws<CliException>(() => SpecPatch.ParseObject(text, "partial.json"));
        Assert.Equal(ExitCodes.InvalidSpec, ex.ExitCode);
        Assert.Contains("partial.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "modify", "svc", "-Dmetadata.instance=3" }, new[] { "modify", "svc", "-D", "metadata.instance=3" })]
    [InlineData(new[] { "modify", "svc", "-D", "a=1", "-Db=2" }, new[] { "modify", "svc", "-D", "a=1", "-D", "b=2" })]
    [InlineData(new[] { "predict", "svc", "-d", "-Dx=1" }, new[] { "predict", "svc", "-d", "-Dx=1" })]
    [InlineData(new[] { "modify", "svc", "--", "-Dx=1" }, new[] { "modify", "svc", "--", "-Dx=1" })]
    [InlineData(new[] { "modify", "svc", "-D" }, new[] { "modify", "svc", "-D" })]
    public void Glued_defines_are_split_only_for_modify(string[] args, string[] expected) =>
        Assert.Equal(expected, ModifyCommand.UnglueDefines(args));
}
