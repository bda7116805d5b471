using System.Text;
using OpenEas.Core.Runtime;
using OpenEas.Core.Specs;
using OpenEas.Processor.Batching;
using OpenEas.Processor.Onnx;
using OpenEas.Processor.Protocol;

namespace OpenEas.Tests.Processor;

public class ProcessorDecisionTests
{
    [Theory]
    [InlineData(1, "1x1")]
    [InlineData(2, "2x1,1x2")]
    [InlineData(4, "4x1,2x2,1x4")]
    [InlineData(6, "6x1,3x2,2x3,1x6")]
    public void Layouts_fill_the_cores_most_sessions_first(int cores, string expected) =>
        Assert.Equal(expected, string.Join(",", OnnxPlan.Layouts(cores).Select(l => $"{l.Sessions}x{l.Threads}")));

    /// <summary>ms per row for each batch size: the learner grows while a size beats the last by 5 %.</summary>
    [Theory]
    [InlineData("1:10,2:6,4:4,8:3.9,16:1", 4)]   // 8 is under 5 % better than 4: stop at 4 (16 is never tried)
    [InlineData("1:10,2:10", 1)]                  // batching does not pay
    [InlineData("1:10,2:9,4:8,8:7,16:6", 16)]     // keeps paying up to the maximum
    [InlineData("1:10,2:12", 1)]                  // batching costs: stays at 1
    public void Adaptive_batch_size_grows_only_while_time_per_row_drops(string table, int settledAt)
    {
        var costs = table.Split(',').Select(p => p.Split(':')).ToDictionary(p => int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture),
            p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        var sizer = new AdaptiveBatchSize(16, samples: 3);
        for (var i = 0; i < 100 && !sizer.Snapshot().Settled; i++)
        {
            var limit = sizer.Limit;
            sizer.Observe(limit, costs[limit] * limit / 1000);
        }

        Assert.True(sizer.Snapshot().Settled);
        Assert.Equal(settledAt, sizer.Limit);
    }

    [Fact]
    public void Adaptive_batch_size_ignores_runs_less_than_half_full()
    {
        var sizer = new AdaptiveBatchSize(16, samples: 2);
        sizer.Observe(1, 0.010);
        sizer.Observe(1, 0.010);
        Assert.Equal(2, sizer.Limit);
        for (var i = 0; i < 10; i++)
        {
            sizer.Observe(1, 0.001);
        }

        Assert.Equal(2, sizer.Limit);
        Assert.False(sizer.Snapshot().Settled);
    }

    [Theory]
    [InlineData(1, 16, 2)]
    [InlineData(8, 16, 16)]
    [InlineData(8, 12, 12)]
    [InlineData(16, 16, 0)]
    public void Batch_grows_by_doubling_up_to_the_limit(int current, int max, int next) =>
        Assert.Equal(next, OnnxPlan.NextBatch(current, max));

    [Theory]
    [InlineData(100, 100, false)]
    [InlineData(104, 100, false)]
    [InlineData(106, 100, true)]
    [InlineData(60, 100, false)]
    public void A_bigger_batch_must_raise_items_per_second_by_five_percent(double candidate, double best, bool grows) =>
        Assert.Equal(grows, OnnxPlan.Improves(candidate, best));

    [Theory]
    [InlineData("\"auto\"", true, true)]
    [InlineData("true", true, false)]
    [InlineData("false", false, false)]
    public void Batching_is_true_false_or_auto(string value, bool batching, bool auto)
    {
        var spec = ServiceSpecParser.Parse("""{"name": "m", "processor": "onnx", "model_path": "/m.onnx", "metadata": {"rpc": {"batching": """ + value + "}}}").Spec!;
        Assert.Equal(batching, spec.Metadata.Rpc.Batching);
        Assert.Equal(auto, spec.Metadata.Rpc.BatchingAuto);
    }

    [Fact]
    public void Batching_other_words_are_an_error_naming_the_path()
    {
        var result = ServiceSpecParser.Parse("""{"name": "m", "processor": "onnx", "model_path": "/m.onnx", "metadata": {"rpc": {"batching": "sometimes"}}}""");
        var issue = Assert.Single(result.Errors);
        Assert.Equal("metadata.rpc.batching", issue.Path);
        Assert.Contains("\"auto\"", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Processor_spec_starts_eas_processor_with_the_rpc_settings()
    {
        var spec = ServiceSpecParser.Parse("""
            {"name": "ocr", "processor": "onnx", "model_path": "oss://b/rec.onnx",
             "metadata": {"cpu": 1.5, "rpc": {"batching": "auto", "max_batch_size": 8, "keepalive": 3000}}}
            """).Spec!;
        var args = ProcessorLaunch.Command(new InstanceLaunch { InstanceId = "i", Service = "ocr", Version = 1, Spec = spec, Directory = "/tmp/i", Port = 9000 }, "/data");
        var line = string.Join(" ", args.Skip(ProcessorLaunch.Host.Count));
        Assert.Equal("processor onnx --model oss://b/rec.onnx --port 9000 --name ocr --data /data --cpu 2 --batching auto --max-batch-size 8 "
            + "--max-batch-timeout 50 --max-queue-size 64 --timeout 3000", line);
    }

    [Theory]
    [InlineData("""{"name": "m", "processor": "tf", "model_path": "/m.pb"}""", "processor")]
    [InlineData("""{"name": "m", "processor": "onnx", "model_path": "m.onnx"}""", "model_path")]
    [InlineData("""{"name": "m", "processor_path": "/p.dll", "processor_entry": "P", "processor_type": "python"}""", "processor_type")]
    public void Process_runtime_rejects_processor_fields_it_cannot_run_naming_the_field(string json, string path)
    {
        var spec = ServiceSpecParser.Parse(json).Spec!;
        var issue = Assert.Single(new ProcessRuntime("/tmp", TimeProvider.System).Validate(spec));
        Assert.Equal(path, issue.Path);
    }

    [Fact]
    public void V2_binary_data_past_the_body_names_the_input()
    {
        var header = Encoding.UTF8.GetBytes("""{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}]}""");
        var ex = Assert.Throws<BadInputException>(() => V2Protocol.Read((byte[])[.. header, 1, 2, 3], header.Length));
        Assert.StartsWith("input 'x': binary_data_size 16", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_inputs_must_be_rectangular()
    {
        var ex = Assert.Throws<BadInputException>(() =>
            EasProtocol.ReadJson(Encoding.UTF8.GetBytes("""{"inputs": {"x": [[1, 2], [3, 4, 5]]}}"""), _ => TensorType.Float));
        Assert.Contains("input 'x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batcher_groups_waiting_requests_up_to_the_batch_size_and_answers_each_its_own()
    {
        var work = new RecordingWork();
        using var batcher = new Batcher<int, int>(1, new BatchPolicy(4, TimeSpan.FromMinutes(1), 16), work, new ProcessorMetrics("t"), TimeProvider.System);
        var answers = Enumerable.Range(1, 4).Select(i => batcher.SubmitAsync(i, TimeSpan.FromMinutes(1), CancellationToken.None)).ToArray();
        var results = await Task.WhenAll(answers);
        Assert.Equal([10, 20, 30, 40], results);
        Assert.Equal([4], work.Batches);
    }

    [Fact]
    public async Task Batcher_refuses_when_the_queue_is_full()
    {
        var work = new RecordingWork { Gate = new ManualResetEventSlim() };
        using var batcher = new Batcher<int, int>(1, new BatchPolicy(1, TimeSpan.Zero, 1), work, new ProcessorMetrics("t"), TimeProvider.System);
        var running = batcher.SubmitAsync(1, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.True(work.Running.Wait(TimeSpan.FromSeconds(30)));
        var queued = batcher.SubmitAsync(2, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Throws<QueueFullException>(() => { _ = batcher.SubmitAsync(3, TimeSpan.FromMinutes(1), CancellationToken.None); });
        work.Gate.Set();
        Assert.Equal(20, await queued);
        Assert.Equal(10, await running);
    }

    private sealed class RecordingWork : IBatchWork<int, int>
    {
        public List<int> Batches { get; } = [];

        public ManualResetEventSlim? Gate { get; init; }

        public ManualResetEventSlim Running { get; } = new();

        public int Rows(int item) => 1;

        public bool Compatible(int first, int other) => true;

        public int[] Run(int worker, IReadOnlyList<int> batch)
        {
            Running.Set();
            Gate?.Wait();
            lock (Batches)
            {
                Batches.Add(batch.Count);
            }

            return [.. batch.Select(i => i * 10)];
        }
    }
}
