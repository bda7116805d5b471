using System.Text.Json.Nodes;
using OpenEas.Contracts;
using OpenEas.Core.Specs;

namespace OpenEas.Tests.Specs;

public class ServiceSpecParserTests
{
    private const string Minimal = """{"name": "echo", "containers": [{"script": "python app.py", "port": 8000}]}""";

    private static SpecParseResult Parse(string json) => ServiceSpecParser.Parse(json);

    /// <summary>Parses a spec with one container and the given extra top-level JSON members.</summary>
    private static SpecParseResult WithContainer(string container, string extra = "") =>
        Parse($$"""{"name": "svc", "containers": [{{container}}]{{(extra.Length > 0 ? ", " + extra : "")}}}""");

    private static SpecIssue SingleError(SpecParseResult result, string path)
    {
        Assert.False(result.IsValid);
        Assert.Null(result.Spec);
        var issue = Assert.Single(result.Errors);
        Assert.Equal(path, issue.Path);
        return issue;
    }

    [Fact]
    public void Minimal_script_spec_is_valid()
    {
        var result = Parse(Minimal);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        var spec = result.Spec!;
        Assert.Equal("echo", spec.Name);
        Assert.Equal("python app.py", spec.Main!.Script);
        Assert.Equal(8000, spec.Main.Port);
        Assert.Null(spec.Processor);
    }

    [Fact]
    public void Defaults_are_applied_when_fields_are_absent()
    {
        var spec = Parse("""{"name": "echo", "containers": [{"script": "./serve"}]}""").Spec!;

        Assert.Equal(0, spec.Main!.Port);
        Assert.Empty(spec.Main.Env);
        Assert.Null(spec.Main.ReadinessCheck);
        Assert.Empty(spec.Storage);
        var md = spec.Metadata;
        Assert.Equal(1, md.Instance);
        Assert.Equal(1, md.Cpu);
        Assert.Equal(1000, md.Memory);
        Assert.Equal(0, md.Gpu);
        Assert.Equal("public", md.Resource);
        Assert.Null(md.Type);
        Assert.Null(md.Group);
        Assert.Equal(30, md.TerminationGracePeriodSeconds);
        Assert.Equal(600_000, md.Rpc.KeepaliveMs);
        Assert.False(md.Rpc.Batching);
        Assert.Equal(16, md.Rpc.MaxBatchSize);
        Assert.Equal(50, md.Rpc.MaxBatchTimeoutMs);
        Assert.Equal(64, md.Rpc.MaxQueueSize);
        Assert.Equal(5, md.Rpc.WorkerThreads);
        Assert.Equal(4, md.Rpc.IoThreads);
        Assert.Equal(0, md.Rpc.RateLimit);
        Assert.Equal("1", md.RollingStrategy.MaxSurge);
        Assert.Equal("0", md.RollingStrategy.MaxUnavailable);
    }

    [Fact]
    public void Full_spec_reads_every_field()
    {
        const string json = """
        {
          "name": "ocr_det",
          "description": "text detection",
          "labels": {"team": "vision"},
          "containers": [{
            "image": "registry/ocr:1.2",
            "command": ["python", "app.py", "--fast"],
            "port": 8000,
            "env": [{"name": "K", "value": "V"}, {"name": "N", "value": 3}, {"name": "B", "value": true}],
            "prepare": {"pythonRequirements": ["numpy==2.0", "onnxruntime"]},
            "startup_check": {"exec": {"command": ["test", "-f", "/tmp/ready"]}, "period_seconds": 2, "failure_threshold": 30},
            "liveness_check": {"tcp_socket": {"port": 8000}, "initial_delay_seconds": 5},
            "readiness_check": {"http_get": {"path": "/health", "port": 8000}, "timeout_seconds": 2, "success_threshold": 2}
          }],
          "storage": [
            {"mount_path": "/models", "oss": {"path": "oss://bucket/models/"}, "readOnly": true},
            {"mount_path": "/share", "nfs": {"server": "10.0.0.2", "path": "/export", "readOnly": false}},
            {"mount_path": "/code", "git": {"repo": "https://example.com/r.git", "branch": "main", "commit": "abc123"}},
            {"mount_path": "/dev/shm", "empty_dir": {"medium": "Memory", "size_limit": 2}},
            {"mount_path": "/data", "dataset": {"id": "d-123", "version": "v2", "read_only": true}},
            {"mount_path": "/host", "local": {"path": "/srv/models"}}
          ],
          "metadata": {
            "instance": 2, "cpu": 2.5, "memory": 4000, "gpu": 1, "resource": "my-group", "group": "ocr",
            "type": "async", "enable_webservice": true, "resource_burstable": true,
            "rpc": {"keepalive": 5000, "batching": true, "max_batch_size": 32, "max_batch_timeout": 20,
                    "max_queue_size": 128, "worker_threads": 8, "io_threads": 2, "rate_limit": 100},
            "rolling_strategy": {"max_surge": "25%", "max_unavailable": 1},
            "eas": {"termination_grace_period": 60}
          },
          "autoscaler": {"min": 1, "max": 10, "scaleStrategies": [{"metricName": "qps", "threshold": 50}]},
          "cronscaler": {"ScaleJobs": []},
          "features": {"eas.aliyun.com/extra-ephemeral-storage": "30Gi"},
          "networking": {"gateway": "shared"},
          "cloud": {"computing": {"instances": [{"type": "ecs.c6.large"}]}}
        }
        """;

        var result = Parse(json);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        var spec = result.Spec!;
        var c = spec.Main!;
        Assert.Equal("registry/ocr:1.2", c.Image);
        Assert.Equal(["python", "app.py", "--fast"], c.Command!);
        Assert.Equal(8000, c.Port);
        Assert.Equal(
            [new("K", "V"), new("N", "3"), new("B", "true")],
            c.Env);
        Assert.Equal(["numpy==2.0", "onnxruntime"], c.PythonRequirements);

        Assert.Equal(ProbeKind.Exec, c.StartupCheck!.Kind);
        Assert.Equal(["test", "-f", "/tmp/ready"], c.StartupCheck.Command);
        Assert.Equal(2, c.StartupCheck.PeriodSeconds);
        Assert.Equal(30, c.StartupCheck.FailureThreshold);
        Assert.Equal(ProbeKind.Tcp, c.LivenessCheck!.Kind);
        Assert.Equal(5, c.LivenessCheck.InitialDelaySeconds);
        Assert.Equal(new ProbeSpec { Kind = ProbeKind.Http, Path = "/health", Port = 8000, TimeoutSeconds = 2, SuccessThreshold = 2 }, c.ReadinessCheck);

        Assert.Equal(6, spec.Storage.Count);
        Assert.Equal(new StorageSpec { MountPath = "/models", Kind = StorageKind.Oss, Source = "oss://bucket/models/", ReadOnly = true }, spec.Storage[0]);
        Assert.Equal(new StorageSpec { MountPath = "/share", Kind = StorageKind.Nfs, Source = "10.0.0.2:/export" }, spec.Storage[1]);
        Assert.Equal(new StorageSpec { MountPath = "/code", Kind = StorageKind.Git, Source = "https://example.com/r.git", Revision = "main", Commit = "abc123" }, spec.Storage[2]);
        Assert.Equal(new StorageSpec { MountPath = "/dev/shm", Kind = StorageKind.EmptyDir, Medium = "memory", SizeLimitGb = 2 }, spec.Storage[3]);
        Assert.Equal(new StorageSpec { MountPath = "/data", Kind = StorageKind.Dataset, Source = "d-123", Revision = "v2", ReadOnly = true }, spec.Storage[4]);
        Assert.Equal(new StorageSpec { MountPath = "/host", Kind = StorageKind.LocalPath, Source = "/srv/models" }, spec.Storage[5]);

        var md = spec.Metadata;
        Assert.Equal(2, md.Instance);
        Assert.Equal(2.5, md.Cpu);
        Assert.Equal(4000, md.Memory);
        Assert.Equal(1, md.Gpu);
        Assert.Equal("my-group", md.Resource);
        Assert.Equal("ocr", md.Group);
        Assert.Equal("Async", md.Type);
        Assert.True(md.EnableWebservice);
        Assert.True(md.ResourceBurstable);
        Assert.Equal(
            new RpcSpec { KeepaliveMs = 5000, Batching = true, MaxBatchSize = 32, MaxBatchTimeoutMs = 20, MaxQueueSize = 128, WorkerThreads = 8, IoThreads = 2, RateLimit = 100 },
            md.Rpc);
        Assert.Equal(new RollingStrategy { MaxSurge = "25%", MaxUnavailable = "1" }, md.RollingStrategy);
        Assert.Equal(60, md.TerminationGracePeriodSeconds);
    }

    [Fact]
    public void Builtin_processor_spec_is_valid()
    {
        var result = Parse("""
            {"name": "resnet", "processor": "onnx", "model_path": "file:///models/resnet.onnx",
             "model_config": {"threads": 2}, "warm_up_data_path": "/warm/req.bin", "metadata": {"instance": 1}}
            """);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.Spec!.Containers);
        Assert.Null(result.Spec.Main);
        Assert.Equal(
            new ProcessorSpec { Name = "onnx", ModelPath = "file:///models/resnet.onnx", ModelConfig = """{"threads":2}""", WarmUpDataPath = "/warm/req.bin" },
            result.Spec.Processor);
    }

    [Fact]
    public void Custom_processor_spec_is_valid()
    {
        var result = Parse("""
            {"name": "mine", "processor_path": "oss://b/proc.tar.gz", "processor_entry": "app.py",
             "processor_type": "Python", "model_path": "oss://b/model/"}
            """);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(
            new ProcessorSpec { Path = "oss://b/proc.tar.gz", Entry = "app.py", Type = "python", ModelPath = "oss://b/model/" },
            result.Spec!.Processor);
    }

    [Fact]
    public void Processor_with_containers_runs_the_processor_in_the_image()
    {
        var result = Parse("""
            {"name": "ocr_det", "processor": "onnx", "model_path": "file:///m.onnx",
             "containers": [{"image": "registry/ocr:1.2"}]}
            """);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("onnx", result.Spec!.Processor!.Name);
        Assert.Equal("registry/ocr:1.2", result.Spec.Main!.Image);
    }

    [Theory]
    [InlineData("""{"name": "p", "processor": "onnx"}""", "model_path")]
    [InlineData("""{"name": "p", "processor_path": "/p.tar.gz"}""", "processor_entry")]
    [InlineData("""{"name": "p", "processor_entry": "app.py"}""", "processor_path")]
    [InlineData("""{"name": "p", "processor": "onnx", "model_path": "/m", "processor_path": "/p", "processor_entry": "a"}""", "processor_path")]
    [InlineData("""{"name": "p", "processor_path": "/p", "processor_entry": "a", "processor_type": "go"}""", "processor_type")]
    public void Processor_spec_errors_name_their_path(string json, string path)
    {
        SingleError(Parse(json), path);
    }

    [Fact]
    public void Malformed_json_reports_line_and_column()
    {
        var issue = SingleError(Parse("{\n  \"name\": \"x\",\n  \"containers\": [}\n}"), "");

        Assert.StartsWith("malformed JSON at line 3, column ", issue.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_are_malformed_json()
    {
        var issue = SingleError(Parse("""{"name": "a", "name": "b", "containers": [{"script": "x"}]}"""), "");

        Assert.Equal("malformed JSON: duplicate key 'name'", issue.Message);
    }

    [Fact]
    public void Duplicate_keys_deep_inside_are_malformed_json()
    {
        var issue = SingleError(Parse("""{"name": "a", "containers": [{"script": "x", "port": 1, "port": 2}]}"""), "");

        Assert.Equal("malformed JSON: duplicate key 'port'", issue.Message);
    }

    [Fact]
    public void Command_with_an_unterminated_quote_names_its_path()
    {
        var issue = SingleError(WithContainer("""{"command": "python -c 'print(1)"}"""), "containers[0].command");

        Assert.Equal("unterminated ' quote", issue.Message);
    }

    [Theory]
    [InlineData("[1, 2]", "an array")]
    [InlineData("\"spec\"", "string \"spec\"")]
    [InlineData("null", "null")]
    public void Top_level_must_be_an_object(string json, string got)
    {
        var issue = SingleError(Parse(json), "");

        Assert.Equal("a service spec must be a JSON object, got " + got, issue.Message);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_tolerated()
    {
        var result = Parse("""
            {
              // a comment users leave in hand-written specs
              "name": "echo",
              "containers": [{"script": "./serve",},],
            }
            """);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }

    [Fact]
    public void Missing_name_is_an_error_at_name()
    {
        var issue = SingleError(Parse("""{"containers": [{"script": "x"}]}"""), "name");

        Assert.Contains("required", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_may_stand_in_metadata()
    {
        var result = Parse("""{"metadata": {"name": "inside"}, "containers": [{"script": "x"}]}""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("inside", result.Spec!.Name);
    }

    [Fact]
    public void Name_and_metadata_name_must_agree()
    {
        SingleError(Parse("""{"name": "a", "metadata": {"name": "b"}, "containers": [{"script": "x"}]}"""), "metadata.name");
    }

    [Theory]
    [InlineData("Echo")]
    [InlineData("1echo")]
    [InlineData("my-service")]
    [InlineData("_echo")]
    [InlineData("")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Bad_name_names_the_rule(string name)
    {
        var issue = SingleError(Parse($$"""{"name": "{{name}}", "containers": [{"script": "x"}]}"""), "name");

        Assert.Contains("lowercase letters, digits and '_', starting with a letter", issue.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("echo_v2")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")]
    public void Good_names_pass(string name)
    {
        Assert.True(SpecNames.IsValidServiceName(name, out var error));
        Assert.Null(error);
    }

    [Fact]
    public void Bad_metadata_name_names_its_path()
    {
        SingleError(Parse("""{"metadata": {"name": "Bad"}, "containers": [{"script": "x"}]}"""), "metadata.name");
    }

    [Fact]
    public void Port_given_as_text_names_its_path()
    {
        var issue = SingleError(WithContainer("""{"script": "x", "port": "abc"}"""), "containers[0].port");

        Assert.Equal("must be an integer 1-65535, got string \"abc\"", issue.Message);
    }

    [Fact]
    public void Port_out_of_range_names_its_path()
    {
        var issue = SingleError(WithContainer("""{"script": "x", "port": 70000}"""), "containers[0].port");

        Assert.Equal("must be an integer 1-65535, got number 70000", issue.Message);
    }

    [Theory]
    [InlineData("\"8000\"", 8000)]
    [InlineData("8000", 8000)]
    [InlineData("0", 0)]
    public void Port_accepts_numbers_and_numeric_strings(string port, int expected)
    {
        var result = WithContainer($$"""{"script": "x", "port": {{port}}}""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(expected, result.Spec!.Main!.Port);
    }

    [Theory]
    [InlineData("""{"image": "registry/app:1"}""")]
    [InlineData("""{"script": "python app.py"}""")]
    [InlineData("""{"command": ["./serve", "--port", "8000"]}""")]
    public void A_container_needs_only_one_of_image_script_or_command(string container)
    {
        var result = WithContainer(container);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }

    [Fact]
    public void A_container_with_nothing_to_run_is_an_error()
    {
        var issue = SingleError(WithContainer("""{"port": 8000}"""), "containers[0]");

        Assert.Equal("needs image, script or command", issue.Message);
    }

    [Fact]
    public void Script_and_command_together_are_an_error()
    {
        SingleError(WithContainer("""{"script": "a", "command": ["b"]}"""), "containers[0]");
    }

    [Fact]
    public void Command_as_one_string_is_split_into_words()
    {
        var result = WithContainer("""{"command": "python -c 'print(1)' \"a b\""}""");

        Assert.Equal(["python", "-c", "print(1)", "a b"], result.Spec!.Main!.Command!);
    }

    [Theory]
    [InlineData("""{"name": "svc", "containers": {"script": "x"}}""", "containers", "must be an array, got an object")]
    [InlineData("""{"name": "svc", "containers": []}""", "containers", "must not be empty (leave it out for a processor deployment)")]
    [InlineData("""{"name": "svc", "containers": ["x"]}""", "containers[0]", "must be an object, got string \"x\"")]
    public void Containers_shape_errors_name_their_path(string json, string path, string message)
    {
        Assert.Equal(message, SingleError(Parse(json), path).Message);
    }

    [Fact]
    public void Env_missing_name_names_its_path()
    {
        var issue = SingleError(WithContainer("""{"script": "x", "env": [{"name": "A", "value": "1"}, {"value": "2"}]}"""), "containers[0].env[1].name");

        Assert.Equal("required", issue.Message);
    }

    [Theory]
    [InlineData("""{"name": "1A", "value": "x"}""", "containers[0].env[0].name")]
    [InlineData("""{"name": "A-B", "value": "x"}""", "containers[0].env[0].name")]
    [InlineData("""{"name": "A", "value": {"x": 1}}""", "containers[0].env[0].value")]
    [InlineData("\"A=1\"", "containers[0].env[0]")]
    public void Env_errors_name_their_path(string entry, string path)
    {
        SingleError(WithContainer($$"""{"script": "x", "env": [{{entry}}]}"""), path);
    }

    [Fact]
    public void Probe_with_two_kinds_names_its_path()
    {
        var issue = SingleError(
            WithContainer("""{"script": "x", "readiness_check": {"http_get": {"path": "/"}, "tcp_socket": {"port": 80}}}"""),
            "containers[0].readiness_check");

        Assert.Contains("http_get, tcp_socket", issue.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{}""", "containers[0].liveness_check")]
    [InlineData("""{"tcp_socket": {}, "period_seconds": 0}""", "containers[0].liveness_check.period_seconds")]
    [InlineData("""{"tcp_socket": {}, "initial_delay_seconds": -1}""", "containers[0].liveness_check.initial_delay_seconds")]
    [InlineData("""{"tcp_socket": {}, "timeout_seconds": 0}""", "containers[0].liveness_check.timeout_seconds")]
    [InlineData("""{"tcp_socket": {}, "failure_threshold": 0}""", "containers[0].liveness_check.failure_threshold")]
    [InlineData("""{"tcp_socket": {}, "success_threshold": 1.5}""", "containers[0].liveness_check.success_threshold")]
    [InlineData("""{"tcp_socket": {"port": 99999}}""", "containers[0].liveness_check.tcp_socket.port")]
    [InlineData("""{"http_get": {"path": "health"}}""", "containers[0].liveness_check.http_get.path")]
    [InlineData("""{"exec": {}}""", "containers[0].liveness_check.exec.command")]
    [InlineData("""{"exec": {"command": []}}""", "containers[0].liveness_check.exec.command")]
    [InlineData("""{"exec": {"command": ["ok", 1]}}""", "containers[0].liveness_check.exec.command[1]")]
    [InlineData("""{"http_get": "/health"}""", "containers[0].liveness_check.http_get")]
    public void Probe_errors_name_their_path(string probe, string path)
    {
        SingleError(WithContainer($$"""{"script": "x", "liveness_check": {{probe}}}"""), path);
    }

    [Fact]
    public void Storage_without_mount_path_names_its_path()
    {
        var result = WithContainer("""{"script": "x"}""", """ "storage": [{"mount_path": "/a", "local": {"path": "/x"}}, {"oss": {"path": "oss://b/k/"}}]""");

        SingleError(result, "storage[1].mount_path");
    }

    [Fact]
    public void Oss_path_must_start_with_oss_scheme()
    {
        var issue = SingleError(
            WithContainer("""{"script": "x"}""", """ "storage": [{"mount_path": "/m", "oss": {"path": "bucket/models"}}]"""),
            "storage[0].oss.path");

        Assert.Equal("must start with oss://, got \"bucket/models\"", issue.Message);
    }

    [Theory]
    [InlineData("""{"mount_path": "models", "oss": {"path": "oss://b/"}}""", "storage[0].mount_path")]
    [InlineData("""{"mount_path": "/m"}""", "storage[0]")]
    [InlineData("""{"mount_path": "/m", "oss": {"path": "oss://b/"}, "local": {"path": "/x"}}""", "storage[0]")]
    [InlineData("""{"mount_path": "/m", "nfs": {"path": "/e"}}""", "storage[0].nfs.server")]
    [InlineData("""{"mount_path": "/m", "git": {"branch": "main"}}""", "storage[0].git.repo")]
    [InlineData("""{"mount_path": "/m", "empty_dir": {"medium": "disk"}}""", "storage[0].empty_dir.medium")]
    [InlineData("""{"mount_path": "/m", "empty_dir": {"size_limit": 0}}""", "storage[0].empty_dir.size_limit")]
    [InlineData("""{"mount_path": "/m", "dataset": {"version": "1"}}""", "storage[0].dataset.id")]
    [InlineData("""{"mount_path": "/m", "local": {"path": "rel"}}""", "storage[0].local.path")]
    [InlineData("""{"mount_path": "/m", "oss": {"path": "oss://b/"}, "readOnly": "yes"}""", "storage[0].readOnly")]
    public void Storage_errors_name_their_path(string entry, string path)
    {
        SingleError(WithContainer("""{"script": "x"}""", $$""" "storage": [{{entry}}]"""), path);
    }

    [Fact]
    public void Storage_mount_paths_must_differ()
    {
        var result = WithContainer("""{"script": "x"}""",
            """ "storage": [{"mount_path": "/m", "local": {"path": "/a"}}, {"mount_path": "/m/", "local": {"path": "/b"}}]""");

        SingleError(result, "storage[1].mount_path");
    }

    [Theory]
    [InlineData("""{"mount_path": "/m", "oss": {"path": "oss://b/"}, "readOnly": true}""", true)]
    [InlineData("""{"mount_path": "/m", "oss": {"path": "oss://b/", "readOnly": true}}""", true)]
    [InlineData("""{"mount_path": "/m", "oss": {"path": "oss://b/", "readOnly": false}, "readOnly": true}""", false)]
    [InlineData("""{"mount_path": "/m", "oss": {"path": "oss://b/"}}""", false)]
    public void Read_only_may_sit_inside_or_beside_the_source(string entry, bool readOnly)
    {
        var result = WithContainer("""{"script": "x"}""", $$""" "storage": [{{entry}}]""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(readOnly, result.Spec!.Storage[0].ReadOnly);
    }

    [Theory]
    [InlineData("\"instance\": -1", "metadata.instance", "must be an integer 0-1000, got number -1")]
    [InlineData("\"instance\": 1001", "metadata.instance", "must be an integer 0-1000, got number 1001")]
    [InlineData("\"instance\": 1.5", "metadata.instance", "must be an integer 0-1000, got number 1.5")]
    [InlineData("\"cpu\": 0", "metadata.cpu", "must be a number of cores > 0, got number 0")]
    [InlineData("\"memory\": 0", "metadata.memory", "must be an integer number of MB > 0, got number 0")]
    [InlineData("\"gpu\": -1", "metadata.gpu", "must be an integer >= 0, got number -1")]
    [InlineData("\"type\": \"Batch\"", "metadata.type", "must be \"Async\" (a queue service) or absent, got \"Batch\"")]
    [InlineData("\"enable_webservice\": \"yes\"", "metadata.enable_webservice", "must be true or false, got string \"yes\"")]
    [InlineData("\"resource\": 3", "metadata.resource", "must be a string, got number 3")]
    [InlineData("\"rpc\": {\"keepalive\": 0}", "metadata.rpc.keepalive", "must be an integer number of ms > 0, got number 0")]
    [InlineData("\"rpc\": {\"batching\": 1}", "metadata.rpc.batching", "must be true or false, got number 1")]
    [InlineData("\"rpc\": {\"max_batch_size\": 0}", "metadata.rpc.max_batch_size", "must be an integer >= 1, got number 0")]
    [InlineData("\"rpc\": 5", "metadata.rpc", "must be an object, got number 5")]
    [InlineData("\"rolling_strategy\": {\"max_surge\": \"abc%\"}", "metadata.rolling_strategy.max_surge",
        "must be a count (an integer >= 0) or a percentage like \"25%\", got string \"abc%\"")]
    [InlineData("\"rolling_strategy\": {\"max_unavailable\": \"150%\"}", "metadata.rolling_strategy.max_unavailable",
        "must be a count (an integer >= 0) or a percentage like \"25%\" (at most 100%), got string \"150%\"")]
    [InlineData("\"rolling_strategy\": {\"max_surge\": -1}", "metadata.rolling_strategy.max_surge",
        "must be a count (an integer >= 0) or a percentage like \"25%\", got number -1")]
    [InlineData("\"eas.termination_grace_period\": -5", "metadata.eas.termination_grace_period", "must be a number of seconds >= 0, got number -5")]
    public void Metadata_errors_name_their_path(string member, string path, string message)
    {
        var issue = SingleError(WithContainer("""{"script": "x"}""", $$""" "metadata": { {{member}} }"""), path);

        Assert.Equal(message, issue.Message);
    }

    [Fact]
    public void Metadata_must_be_an_object()
    {
        SingleError(WithContainer("""{"script": "x"}""", "\"metadata\": []"), "metadata");
    }

    [Theory]
    [InlineData("\"2\"", "\"4\"", "\"4000\"", "\"1\"")]
    [InlineData("2", "4", "4000", "1")]
    public void Resource_numbers_may_be_numeric_strings(string instance, string cpu, string memory, string gpu)
    {
        var result = WithContainer("""{"script": "x"}""",
            $$""" "metadata": {"instance": {{instance}}, "cpu": {{cpu}}, "memory": {{memory}}, "gpu": {{gpu}} }""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var md = result.Spec!.Metadata;
        Assert.Equal((2, 4.0, 4000L, 1), (md.Instance, md.Cpu, md.Memory, md.Gpu));
    }

    [Theory]
    [InlineData("2", "2")]
    [InlineData("\"3\"", "3")]
    [InlineData("\"25%\"", "25%")]
    [InlineData("0", "0")]
    public void Rolling_strategy_takes_counts_and_percentages(string value, string expected)
    {
        var result = WithContainer("""{"script": "x"}""", $$""" "metadata": {"rolling_strategy": {"max_surge": {{value}} } }""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(expected, result.Spec!.Metadata.RollingStrategy.MaxSurge);
    }

    [Fact]
    public void Spec_without_containers_or_processor_is_an_error_at_the_root()
    {
        var issue = SingleError(Parse("""{"name": "svc", "metadata": {"instance": 1}}"""), "");

        Assert.Equal("a service needs containers[] (image/program deployment) or processor (processor deployment)", issue.Message);
    }

    [Fact]
    public void All_errors_are_collected_in_one_pass()
    {
        var result = Parse("""
            {
              "name": "Bad-Name",
              "containers": [{"script": "x", "port": "abc", "env": [{"value": "1"}]}, {"port": 1}],
              "storage": [{"oss": {"path": "bucket"}}],
              "metadata": {"instance": -1, "cpu": 0, "rpc.keepalive": "long", "rolling_strategy": {"max_surge": "abc%"}}
            }
            """);

        Assert.False(result.IsValid);
        Assert.Null(result.Spec);
        Assert.Equal(
            new[]
            {
                "containers[0].env[0].name", "containers[0].port", "containers[1]", "metadata.cpu", "metadata.instance",
                "metadata.rolling_strategy.max_surge", "metadata.rpc.keepalive", "name", "storage[0].mount_path", "storage[0].oss.path",
            },
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Unknown_fields_are_warnings_with_paths_and_kept_in_raw()
    {
        var result = Parse("""
            {
              "name": "echo",
              "flavor": "vanilla",
              "containers": [{"script": "x", "gpu_share": true,
                              "readiness_check": {"tcp_socket": {"port": 1, "host": "h"}, "grace": 1},
                              "env": [{"name": "A", "value": "1", "secret": false}]}],
              "storage": [{"mount_path": "/m", "oss": {"path": "oss://b/", "endpoint": "e"}, "size": 3}],
              "metadata": {"foo": 1, "rpc": {"bar": 2}, "rolling_strategy.baz": 3, "eas.qux": 4}
            }
            """);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(
            new[]
            {
                "containers[0].env[0].secret", "containers[0].gpu_share", "containers[0].readiness_check.grace",
                "containers[0].readiness_check.tcp_socket.host", "flavor", "metadata.eas.qux", "metadata.foo",
                "metadata.rolling_strategy.baz", "metadata.rpc.bar", "storage[0].oss.endpoint", "storage[0].size",
            },
            result.Warnings.Select(w => w.Path).Order(StringComparer.Ordinal));
        Assert.All(result.Warnings, w => Assert.Equal("unknown field, kept as is", w.Message));
        Assert.Equal("metadata.foo: unknown field, kept as is", result.Warnings.Single(w => w.Path == "metadata.foo").ToString());

        var raw = result.Spec!.Raw;
        Assert.Equal("vanilla", (string?)raw["flavor"]);
        Assert.Equal(true, (bool?)raw["containers"]![0]!["gpu_share"]);
        Assert.Equal(3, (int?)raw["metadata"]!["rolling_strategy.baz"]);
        Assert.Equal("e", (string?)raw["storage"]![0]!["oss"]!["endpoint"]);
    }

    [Fact]
    public void Known_free_form_sections_are_kept_without_warnings()
    {
        var result = WithContainer("""{"script": "x"}""",
            """ "features": {"anything": {"goes": 1}}, "networking": {"x": 1}, "cloud": {"y": 2}, "labels": {"z": "3"}, "cronscaler": {"ScaleJobs": []}""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        Assert.Equal(1, (int?)result.Spec!.Raw["features"]!["anything"]!["goes"]);
    }

    [Fact]
    public void Dotted_metadata_keys_equal_the_nested_form()
    {
        var dotted = WithContainer("""{"script": "x"}""",
            """ "metadata": {"rpc.keepalive": 10000, "rpc.batching": true, "eas.termination_grace_period": 45, "rolling_strategy.max_surge": "50%", "rolling_strategy.max_unavailable": 1}""");
        var nested = WithContainer("""{"script": "x"}""",
            """ "metadata": {"rpc": {"keepalive": 10000, "batching": true}, "eas": {"termination_grace_period": 45}, "rolling_strategy": {"max_surge": "50%", "max_unavailable": 1}}""");

        Assert.True(dotted.IsValid, string.Join("; ", dotted.Errors));
        Assert.True(nested.IsValid, string.Join("; ", nested.Errors));
        Assert.Equal(nested.Spec!.Metadata, dotted.Spec!.Metadata);
        Assert.Equal(10000, dotted.Spec.Metadata.Rpc.KeepaliveMs);
        Assert.Equal(45, dotted.Spec.Metadata.TerminationGracePeriodSeconds);
        Assert.True(dotted.Spec.Raw["metadata"]!.AsObject().ContainsKey("rpc.keepalive"), "Raw keeps the dotted key as written");
    }

    [Fact]
    public void Dotted_and_nested_forms_may_mix_when_they_agree()
    {
        var result = WithContainer("""{"script": "x"}""",
            """ "metadata": {"rpc": {"batching": true, "keepalive": 7}, "rpc.keepalive": 7, "rpc.max_queue_size": 9}""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal((true, 7, 9), (result.Spec!.Metadata.Rpc.Batching, result.Spec.Metadata.Rpc.KeepaliveMs, result.Spec.Metadata.Rpc.MaxQueueSize));
    }

    [Theory]
    [InlineData("""{"rpc": {"keepalive": 1}, "rpc.keepalive": 2}""", "metadata.rpc.keepalive")]
    [InlineData("""{"rpc": 3, "rpc.keepalive": 2}""", "metadata.rpc")]
    [InlineData("""{"rpc..keepalive": 2}""", "metadata.rpc..keepalive")]
    public void Conflicting_dotted_keys_are_errors(string metadata, string path)
    {
        var result = WithContainer("""{"script": "x"}""", $$""" "metadata": {{metadata}}""");

        Assert.Contains(path, result.Errors.Select(e => e.Path));
    }

    [Fact]
    public void Async_type_is_case_insensitive()
    {
        var result = WithContainer("""{"script": "x"}""", """ "metadata": {"type": "ASYNC"}""");

        Assert.Equal("Async", result.Spec!.Metadata.Type);
    }

    [Theory]
    [InlineData("""{"min": 5, "max": 2, "scaleStrategies": [{"metricName": "qps", "threshold": 10}]}""", "autoscaler.min")]
    [InlineData("""{"min": "one", "strategies": {"qps": 10}}""", "autoscaler.min")]
    [InlineData("""{"min": 1, "max": 2}""", "autoscaler.scaleStrategies")]
    [InlineData("""{"scaleStrategies": [{"metricName": "gpu_mem", "threshold": 10}]}""", "autoscaler.scaleStrategies[0].metricName")]
    [InlineData("""{"min": 1, "max": 2, "scaleStrategies": [{"metricName": "qps"}]}""", "autoscaler.scaleStrategies[0].threshold")]
    [InlineData("[]", "autoscaler")]
    public void Autoscaler_is_checked_lightly(string autoscaler, string path)
    {
        SingleError(WithContainer("""{"script": "x"}""", $$""" "autoscaler": {{autoscaler}}"""), path);
    }

    [Fact]
    public void Parsing_an_object_copies_it_into_raw()
    {
        var input = JsonNode.Parse(Minimal)!.AsObject();

        var result = ServiceSpecParser.Parse(input);
        input["name"] = "changed";

        Assert.True(result.IsValid);
        Assert.Equal("echo", (string?)result.Spec!.Raw["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Minimal), result.Spec.Raw));
    }

    [Fact]
    public void Null_values_count_as_absent()
    {
        var result = Parse("""{"name": "echo", "containers": [{"script": "x", "port": null}], "storage": null, "metadata": {"instance": null}}""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(1, result.Spec!.Metadata.Instance);
    }

    [Fact]
    public void Anonymous_is_off_by_default_and_read_from_metadata()
    {
        Assert.False(Parse(Minimal).Spec!.Metadata.Anonymous);
        var on = WithContainer("""{"script": "x"}""", """ "metadata": {"anonymous": true} """);
        Assert.True(on.IsValid, string.Join("; ", on.Errors));
        Assert.Empty(on.Warnings);
        Assert.True(on.Spec!.Metadata.Anonymous);

        var issue = SingleError(WithContainer("""{"script": "x"}""", """ "metadata": {"anonymous": "yes"} """), "metadata.anonymous");
        Assert.Contains("true or false", issue.Message, StringComparison.Ordinal);
    }
}
