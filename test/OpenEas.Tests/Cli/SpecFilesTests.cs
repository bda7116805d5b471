using System.Text.Json.Nodes;
using OpenEas.Client;

namespace OpenEas.Tests.Cli;

public class SpecFilesTests
{
    [Theory]
    [InlineData("models/det.onnx", "/specs/ocr/models/det.onnx")]
    [InlineData("../../.build/cache/m.onnx", "/.build/cache/m.onnx")]
    [InlineData("/abs/m.onnx", "/abs/m.onnx")]
    [InlineData("oss://models/m.onnx", "oss://models/m.onnx")]
    [InlineData("https://host/m.onnx", "https://host/m.onnx")]
    [InlineData("file:///abs/m.onnx", "file:///abs/m.onnx")]
    public void A_relative_local_model_path_is_resolved_against_the_spec_file(string modelPath, string expected)
    {
        var json = new JsonObject { ["name"] = "det", ["processor"] = "onnx", ["model_path"] = modelPath }.ToJsonString();
        var resolved = JsonNode.Parse(SpecFiles.ResolveLocalPaths(json, "/specs/ocr"))!;
        Assert.Equal(expected, (string?)resolved["model_path"]);
    }

    [Theory]
    [InlineData("out/TextStats.dll", "/specs/custom/out/TextStats.dll")]
    [InlineData("/abs/TextStats.dll", "/abs/TextStats.dll")]
    [InlineData("oss://processors/TextStats.dll", "oss://processors/TextStats.dll")]
    public void A_relative_local_processor_path_is_resolved_against_the_spec_file(string processorPath, string expected)
    {
        var json = new JsonObject { ["name"] = "stats", ["processor_path"] = processorPath, ["processor_entry"] = "A.B" }.ToJsonString();
        var resolved = JsonNode.Parse(SpecFiles.ResolveLocalPaths(json, "/specs/custom"))!;
        Assert.Equal(expected, (string?)resolved["processor_path"]);
    }

    [Fact]
    public void Storage_paths_are_still_resolved_without_a_model_path()
    {
        var json = """{"name":"a","storage":[{"mount_path":"/app","local":{"path":"."}}]}""";
        var resolved = JsonNode.Parse(SpecFiles.ResolveLocalPaths(json, "/specs/echo"))!;
        Assert.Equal("/specs/echo", (string?)resolved["storage"]![0]!["local"]!["path"]);
    }
}
