using System.Text;
using System.Text.Json.Nodes;

namespace OpenEas.Core.Specs;

/// <content><c>containers[]</c>: program, port, env, prepare and probes.</content>
public static partial class ServiceSpecParser
{
    private static readonly HashSet<string> ContainerKeys =
    [
        "image", "script", "command", "port", "env", "prepare",
        "startup_check", "liveness_check", "readiness_check",
    ];

    private static readonly HashSet<string> EnvKeys = ["name", "value"];
    private static readonly HashSet<string> PrepareKeys = ["pythonRequirements", "pythonRequirementsPath"];

    private static readonly HashSet<string> ProbeKeys =
    [
        "http_get", "tcp_socket", "exec",
        "initial_delay_seconds", "period_seconds", "timeout_seconds", "success_threshold", "failure_threshold",
    ];

    private static readonly string[] ProbeKinds = ["http_get", "tcp_socket", "exec"];
    private static readonly HashSet<string> HttpGetKeys = ["path", "port"];
    private static readonly HashSet<string> TcpSocketKeys = ["port"];
    private static readonly HashSet<string> ExecKeys = ["command"];

    private const string PortRange = "an integer 1-65535";

    private static List<ContainerSpec> ReadContainers(SpecReader r, JsonNode? node)
    {
        var result = new List<ContainerSpec>();
        var array = r.Array(node, "containers");
        if (array is null)
        {
            return result;
        }

        if (array.Count == 0)
        {
            r.Error("containers", "must not be empty (leave it out for a processor deployment)");
            return result;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var path = SpecReader.Index("containers", i);
            var obj = r.Object(array[i], path);
            if (obj is null)
            {
                if (array[i] is null)
                {
                    r.Error(path, "must be an object, got null");
                }

                continue;
            }

            var container = ReadContainer(r, obj, path);
            if (container is not null)
            {
                result.Add(container);
            }
        }

        return result;
    }

    private static ContainerSpec? ReadContainer(SpecReader r, JsonObject obj, string path)
    {
        r.WarnUnknown(obj, path, ContainerKeys);
        var errors = r.Errors.Count;

        var image = r.String(obj["image"], path + ".image");
        var script = r.String(obj["script"], path + ".script");
        var command = ReadCommand(r, obj["command"], path + ".command");
        if (obj["image"] is null && obj["script"] is null && obj["command"] is null)
        {
            r.Error(path, "needs image, script or command");
        }

        if (obj["script"] is not null && obj["command"] is not null)
        {
            r.Error(path, "give script (run by a shell) or command (run directly), not both");
        }

        var port = r.Integer(obj["port"], path + ".port", 0, 65535, PortRange, allowString: true);
        var env = ReadEnv(r, obj["env"], path + ".env");

        List<string>? requirements = null;
        string? requirementsPath = null;
        var prepare = r.Object(obj["prepare"], path + ".prepare");
        if (prepare is not null)
        {
            r.WarnUnknown(prepare, path + ".prepare", PrepareKeys);
            requirements = r.StringList(prepare["pythonRequirements"], path + ".prepare.pythonRequirements");
            requirementsPath = r.String(prepare["pythonRequirementsPath"], path + ".prepare.pythonRequirementsPath");
        }

        var startup = ReadProbe(r, obj["startup_check"], path + ".startup_check");
        var liveness = ReadProbe(r, obj["liveness_check"], path + ".liveness_check");
        var readiness = ReadProbe(r, obj["readiness_check"], path + ".readiness_check");

        return r.Errors.Count > errors
            ? null
            : new ContainerSpec
            {
                Image = image,
                Script = script,
                Command = command,
                Port = (int)(port ?? 0),
                Env = env,
                PythonRequirements = requirements ?? [],
                PythonRequirementsPath = requirementsPath,
                StartupCheck = startup,
                LivenessCheck = liveness,
                ReadinessCheck = readiness,
            };
    }

    /// <summary><c>command</c> is a list of strings, or one string split like a shell would split words (quotes respected, nothing expanded).</summary>
    private static List<string>? ReadCommand(SpecReader r, JsonNode? node, string path)
    {
        if (node is JsonArray)
        {
            return r.StringList(node, path);
        }

        var text = r.String(node, path);
        if (text is null)
        {
            return null;
        }

        var words = SplitWords(text, out var problem);
        if (problem is not null)
        {
            r.Error(path, problem);
            return null;
        }

        if (words.Count == 0)
        {
            r.Error(path, "must name a program");
            return null;
        }

        return words;
    }

    internal static List<string> SplitWords(string text, out string? problem)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        problem = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                {
                    current.Append(text[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
                inWord = true;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (quote != '\0')
        {
            problem = $"unterminated {quote} quote";
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    private static List<KeyValuePair<string, string>> ReadEnv(SpecReader r, JsonNode? node, string path)
    {
        var result = new List<KeyValuePair<string, string>>();
        var array = r.Array(node, path);
        if (array is null)
        {
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var itemPath = SpecReader.Index(path, i);
            var item = r.Object(array[i], itemPath);
            if (item is null)
            {
                if (array[i] is null)
                {
                    r.Error(itemPath, "must be an object {name, value}, got null");
                }

                continue;
            }

            r.WarnUnknown(item, itemPath, EnvKeys);
            var name = r.String(item["name"], itemPath + ".name");
            if (item["name"] is null)
            {
                r.Error(itemPath + ".name", "required");
            }
            else if (name is not null && !SpecNames.IsValidEnvName(name))
            {
                r.Error(itemPath + ".name", $"must be a letter or '_' followed by letters, digits or '_', got \"{name}\"");
                name = null;
            }

            var value = r.Text(item["value"], itemPath + ".value") ?? "";
            if (name is null)
            {
                continue;
            }

            if (!seen.Add(name))
            {
                r.Warn(itemPath + ".name", $"\"{name}\" is set more than once; the last one wins");
            }

            result.Add(new KeyValuePair<string, string>(name, value));
        }

        return result;
    }

    private static ProbeSpec? ReadProbe(SpecReader r, JsonNode? node, string path)
    {
        var obj = r.Object(node, path);
        if (obj is null)
        {
            return null;
        }

        r.WarnUnknown(obj, path, ProbeKeys);
        var errors = r.Errors.Count;
        var given = ProbeKinds.Where(k => obj[k] is not null).ToList();
        if (given.Count == 0)
        {
            r.Error(path, "needs one of http_get, tcp_socket, exec");
        }
        else if (given.Count > 1)
        {
            r.Error(path, $"give exactly one of http_get, tcp_socket, exec (got {string.Join(", ", given)})");
        }

        var probe = new ProbeSpec();
        if (given.Count == 1)
        {
            var kindPath = path + "." + given[0];
            var kind = r.Object(obj[given[0]], kindPath);
            if (kind is not null)
            {
                probe = given[0] switch
                {
                    "http_get" => ReadHttpGet(r, kind, kindPath),
                    "tcp_socket" => ReadTcpSocket(r, kind, kindPath),
                    _ => ReadExec(r, kind, kindPath),
                };
            }
        }

        var initialDelay = r.Number(obj["initial_delay_seconds"], path + ".initial_delay_seconds", 0, true, "a number >= 0");
        var period = r.Number(obj["period_seconds"], path + ".period_seconds", 0, false, "a number > 0");
        var timeout = r.Number(obj["timeout_seconds"], path + ".timeout_seconds", 0, false, "a number > 0");
        var success = r.Integer(obj["success_threshold"], path + ".success_threshold", 1, int.MaxValue, "an integer >= 1");
        var failure = r.Integer(obj["failure_threshold"], path + ".failure_threshold", 1, int.MaxValue, "an integer >= 1");

        if (r.Errors.Count > errors)
        {
            return null;
        }

        return probe with
        {
            InitialDelaySeconds = initialDelay ?? probe.InitialDelaySeconds,
            PeriodSeconds = period ?? probe.PeriodSeconds,
            TimeoutSeconds = timeout ?? probe.TimeoutSeconds,
            SuccessThreshold = (int)(success ?? probe.SuccessThreshold),
            FailureThreshold = (int)(failure ?? probe.FailureThreshold),
        };
    }

    private static ProbeSpec ReadHttpGet(SpecReader r, JsonObject obj, string path)
    {
        r.WarnUnknown(obj, path, HttpGetKeys);
        var httpPath = r.String(obj["path"], path + ".path") ?? "/";
        if (!httpPath.StartsWith('/'))
        {
            r.Error(path + ".path", $"must start with '/', got \"{httpPath}\"");
        }

        var port = r.Integer(obj["port"], path + ".port", 0, 65535, PortRange + " (or 0 for the container's port)");
        return new ProbeSpec { Kind = ProbeKind.Http, Path = httpPath, Port = (int)(port ?? 0) };
    }

    private static ProbeSpec ReadTcpSocket(SpecReader r, JsonObject obj, string path)
    {
        r.WarnUnknown(obj, path, TcpSocketKeys);
        var port = r.Integer(obj["port"], path + ".port", 0, 65535, PortRange + " (or 0 for the container's port)");
        return new ProbeSpec { Kind = ProbeKind.Tcp, Port = (int)(port ?? 0) };
    }

    private static ProbeSpec ReadExec(SpecReader r, JsonObject obj, string path)
    {
        r.WarnUnknown(obj, path, ExecKeys);
        if (obj["command"] is null)
        {
            r.Error(path + ".command", "required: the program and its arguments, as a list");
            return new ProbeSpec { Kind = ProbeKind.Exec };
        }

        var command = r.StringList(obj["command"], path + ".command");
        return new ProbeSpec { Kind = ProbeKind.Exec, Command = command ?? [] };
    }
}
