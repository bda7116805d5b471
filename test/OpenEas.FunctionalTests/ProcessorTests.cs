using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using OpenEas.FunctionalTests.Infrastructure;
using OpenEas.Processor.Protocol;
using OpenEas.TestModels;

namespace OpenEas.FunctionalTests;

/// <summary>Processor deployments: the ONNX processor through the gateway, in every protocol.</summary>
public sealed class ProcessorTests
{
    private const int Width = 16;

    private static string OnnxSpec(string name, string modelPath, string rpc = "") => $$"""
        {
          "name": "{{name}}",
          "processor": "onnx",
          "model_path": "{{modelPath}}",
          "metadata": { "instance": 1, "cpu": 2, "memory": 256 {{(rpc.Length > 0 ? ", \"rpc\": {" + rpc + "}" : "")}} }
        }
        """;

    private static string NewModel(string dir)
    {
        var path = Path.Combine(dir, "mlp.onnx");
        MlpModel.Write(path, inputs: Width);
        return path;
    }

    private static float[][] Rows(int count, int seed)
    {
        var rows = new float[count][];
        for (var r = 0; r < count; r++)
        {
            rows[r] = new float[Width];
            for (var i = 0; i < Width; i++)
            {
                rows[r][i] = ((seed * 31) + (r * 7) + i) % 13 / 6.5f - 1f;
            }
        }

        return rows;
    }

    private static byte[] Raw(float[][] rows) => [.. rows.SelectMany(r => r).SelectMany(BitConverter.GetBytes)];

    private static byte[] Protobuf(float[][] rows)
    {
        var t = new TensorProto { Name = "x", DataType = 1, RawData = ByteString.CopyFrom(Raw(rows)) };
        t.Dims.AddRange([rows.Length, Width]);
        var d = new DataProto();
        d.Tensors.Add(t);
        return d.ToByteArray();
    }

    private static string Json(float[][] rows) =>
        "{\"inputs\": {\"x\": [" + string.Join(",", rows.Select(r => "[" + string.Join(",", r.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]")) + "]}}";

    private static float[] FromBytes(byte[] data)
    {
        var values = new float[data.Length / 4];
        Buffer.BlockCopy(data, 0, values, 0, data.Length);
        return values;
    }

    private static async Task<(TestServer Server, string Token)> DeployAsync(string name, string spec)
    {
        var server = await TestServer.StartAsync();
        await server.Client.CreateServiceAsync(spec);
        await server.WaitForStatusAsync(name, "Running", running: 1, seconds: 120);
        var token = (await server.Client.DescribeServiceAsync(name)).AccessToken!;
        return (server, token);
    }

    [Fact]
    public async Task Onnx_service_gives_identical_rows_through_protobuf_json_and_v2()
    {
        var dir = TestServer.NewDataDir();
        var (server, token) = await DeployAsync("mlp", OnnxSpec("mlp", NewModel(dir)));
        await using var _ = server;
        var rows = Rows(3, seed: 1);

        var meta = await server.Client.PredictAsync("mlp", token, default, HttpMethod.Get, "v2/models/mlp");
        Assert.True(meta.IsSuccess, meta.BodyText);
        using (var doc = JsonDocument.Parse(meta.Body))
        {
            var input = doc.RootElement.GetProperty("inputs")[0];
            Assert.Equal("x", input.GetProperty("name").GetString());
            Assert.Equal("FP32", input.GetProperty("datatype").GetString());
            Assert.Equal([-1L, 16L], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
            Assert.Equal(2, doc.RootElement.GetProperty("plan").GetProperty("sessions").GetInt32());
        }

        var pb = await server.Client.PredictAsync("mlp", token, Protobuf(rows));
        Assert.True(pb.IsSuccess, pb.BodyText);
        var output = DataProto.Parser.ParseFrom(pb.Body).Tensors.Single();
        Assert.Equal("y", output.Name);
        Assert.Equal([3L, 8L], output.Dims);
        var expected = FromBytes(output.RawData.ToByteArray());

        var json = await server.Client.PredictAsync("mlp", token, Encoding.UTF8.GetBytes(Json(rows)));
        Assert.True(json.IsSuccess, json.BodyText);
        using (var doc = JsonDocument.Parse(json.Body))
        {
            var y = doc.RootElement.GetProperty("outputs").GetProperty("y");
            Assert.Equal(expected, y.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetSingle()).ToArray());
        }

        var v2Body = "{\"id\":\"r1\",\"inputs\":[{\"name\":\"x\",\"shape\":[3,16],\"datatype\":\"FP32\",\"data\":["
            + string.Join(",", rows.SelectMany(r => r).Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]}]}";
        var v2 = await server.Client.PredictAsync("mlp", token, Encoding.UTF8.GetBytes(v2Body), path: "v2/models/mlp/infer");
        Assert.True(v2.IsSuccess, v2.BodyText);
        using (var doc = JsonDocument.Parse(v2.Body))
        {
            Assert.Equal("r1", doc.RootElement.GetProperty("id").GetString());
            var y = doc.RootElement.GetProperty("outputs")[0];
            Assert.Equal("[3,8]", y.GetProperty("shape").GetRawText());
            Assert.Equal(expected, y.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        }

        // The binary tensor extension: raw input after the JSON header, raw output asked for the same way.
        var header = Encoding.UTF8.GetBytes("{\"inputs\":[{\"name\":\"x\",\"shape\":[3,16],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":"
            + (3 * Width * 4) + "}}],\"outputs\":[{\"name\":\"y\",\"parameters\":{\"binary_data\":true}}]}");
        var bin = await server.Client.PredictAsync("mlp", token, (byte[])[.. header, .. Raw(rows)], path: "v2/models/mlp/infer",
            headers: [new("Inference-Header-Content-Length", header.Length.ToString(CultureInfo.InvariantCulture))]);
        Assert.True(bin.IsSuccess, bin.BodyText);
        var headerLength = int.Parse(bin.Headers.Single(h => h.Key.Equals("Inference-Header-Content-Length", StringComparison.OrdinalIgnoreCase)).Value, CultureInfo.InvariantCulture);
        using (var doc = JsonDocument.Parse(bin.Body.AsMemory(0, headerLength)))
        {
            Assert.Equal(3 * 8 * 4, doc.RootElement.GetProperty("outputs")[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        }

        Assert.Equal(expected, FromBytes(bin.Body[headerLength..]));

        // Stopped, the processor host ends on the platform's SIGTERM by itself (not killed when the grace runs out).
        await server.Client.StopServiceAsync("mlp");
        await server.WaitForStatusAsync("mlp", OpenEas.Contracts.ServiceStates.Stopped);
        var stopped = Assert.Single(await server.Client.ListEventsAsync("mlp", 100), e => e.Reason == "InstanceStopped");
        Assert.EndsWith("stopped (exited with code 0)", stopped.Message, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Auto_plan_is_measured_and_reported_and_wrong_name_dtype_or_shape_answers_400_naming_the_input()
    {
        var dir = TestServer.NewDataDir();
        var (server, token) = await DeployAsync("mlpbad", OnnxSpec("mlpbad", NewModel(dir), "\"batching\": \"auto\", \"max_batch_size\": 4"));
        await using var _ = server;

        var info = await server.Client.PredictAsync("mlpbad", token, default, HttpMethod.Get, "/");
        using (var doc = JsonDocument.Parse(info.Body))
        {
            var plan = doc.RootElement.GetProperty("plan");
            Assert.StartsWith("measured: ", plan.GetProperty("reason").GetString(), StringComparison.Ordinal);
            var measured = plan.GetProperty("measurements").EnumerateArray().ToList();
            // Every layout of the instance's cores at batch 1; the batch size is then learned from traffic.
            var layouts = OpenEas.Processor.Onnx.OnnxPlan.Layouts(Math.Min(2, Environment.ProcessorCount));
            Assert.Equal(layouts.Count, measured.Count(m => m.GetProperty("batch").GetInt32() == 1));
            Assert.Equal("auto", plan.GetProperty("batching").GetString());
            Assert.Equal(1, plan.GetProperty("adaptive").GetProperty("batch_size").GetInt32());
        }

        var shape = await server.Client.PredictAsync("mlpbad", token, Encoding.UTF8.GetBytes("{\"inputs\": {\"x\": [[1, 2, 3]]}}"));
        Assert.Equal(HttpStatusCode.BadRequest, shape.Status);
        Assert.Contains("input 'x'", shape.BodyText, StringComparison.Ordinal);
        Assert.Contains("[-1,16]", shape.BodyText, StringComparison.Ordinal);

        var name = await server.Client.PredictAsync("mlpbad", token, Encoding.UTF8.GetBytes("{\"inputs\": {\"images\": [[1]]}}"));
        Assert.Equal(HttpStatusCode.BadRequest, name.Status);
        Assert.Contains("'images'", name.BodyText, StringComparison.Ordinal);
        Assert.Contains("'x' FP32 [-1,16]", name.BodyText, StringComparison.Ordinal);

        var t = new TensorProto { Name = "x", DataType = 7, RawData = ByteString.CopyFrom(new byte[Width * 8]) };
        t.Dims.AddRange([1, Width]);
        var d = new DataProto();
        d.Tensors.Add(t);
        var dtype = await server.Client.PredictAsync("mlpbad", token, d.ToByteArray());
        Assert.Equal(HttpStatusCode.BadRequest, dtype.Status);
        Assert.Contains("input 'x': data type INT64 (7) but the model expects FP32 (1)", dtype.BodyText, StringComparison.Ordinal);

        var v2 = await server.Client.PredictAsync("mlpbad", token,
            Encoding.UTF8.GetBytes("{\"inputs\":[{\"name\":\"x\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6,7,8]}]}"), path: "v2/models/mlpbad/infer");
        Assert.Equal(HttpStatusCode.BadRequest, v2.Status);
        Assert.Contains("input 'x': shape [2,4]", v2.BodyText, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_each_caller_gets_its_own_rows()
    {
        var dir = TestServer.NewDataDir();
        // One worker and a generous wait, so requests sent together are grouped whatever the machine's speed.
        var (server, token) = await DeployAsync("mlpbatch", OnnxSpec("mlpbatch", NewModel(dir),
            "\"batching\": true, \"max_batch_size\": 32, \"max_batch_timeout\": 1000").Replace("\"cpu\": 2", "\"cpu\": 1", StringComparison.Ordinal));
        await using var _ = server;

        var singles = new float[8][];
        for (var k = 0; k < singles.Length; k++)
        {
            // Each caller sends a different number of rows (1-3), so a mix-up of rows would show.
            var answer = await server.Client.PredictAsync("mlpbatch", token, Protobuf(Rows(1 + (k % 3), seed: k)));
            singles[k] = FromBytes(DataProto.Parser.ParseFrom(answer.Body).Tensors.Single().RawData.ToByteArray());
        }

        var together = await Task.WhenAll(Enumerable.Range(0, singles.Length).Select(k =>
            server.Client.PredictAsync("mlpbatch", token, Protobuf(Rows(1 + (k % 3), seed: k)))));
        for (var k = 0; k < singles.Length; k++)
        {
            Assert.True(together[k].IsSuccess, together[k].BodyText);
            var y = DataProto.Parser.ParseFrom(together[k].Body).Tensors.Single();
            Assert.Equal(1 + (k % 3), y.Dims[0]);
            Assert.Equal(singles[k], FromBytes(y.RawData.ToByteArray()));
        }

        var info = await server.Client.PredictAsync("mlpbatch", token, default, HttpMethod.Get, "/");
        using var doc = JsonDocument.Parse(info.Body);
        var metrics = doc.RootElement.GetProperty("metrics");
        Assert.True(metrics.GetProperty("largest_batch").GetInt32() > 1, info.BodyText);
        Assert.True(metrics.GetProperty("runs").GetInt64() < metrics.GetProperty("requests").GetInt64(), info.BodyText);

        var prometheus = await server.Client.PredictAsync("mlpbatch", token, default, HttpMethod.Get, "metrics");
        Assert.Contains("eas_processor_batch_size_bucket", prometheus.BodyText, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}
