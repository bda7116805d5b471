using System.Text.Json.Nodes;

namespace OpenEas.Core.Specs;

/// <content><c>storage[]</c>: one source per entry, made visible at <c>mount_path</c>.</content>
public static partial class ServiceSpecParser
{
    private static readonly string[] StorageKinds = ["oss", "nfs", "git", "empty_dir", "dataset", "local"];

    private static readonly HashSet<string> StorageKeys =
        ["mount_path", "oss", "nfs", "git", "empty_dir", "dataset", "local", "readOnly", "read_only"];

    private static readonly HashSet<string> OssKeys = ["path", "readOnly", "read_only"];
    private static readonly HashSet<string> NfsKeys = ["server", "path", "readOnly", "read_only"];
    private static readonly HashSet<string> GitKeys = ["repo", "branch", "commit"];
    private static readonly HashSet<string> EmptyDirKeys = ["medium", "size_limit"];
    private static readonly HashSet<string> DatasetKeys = ["id", "version", "read_only", "readOnly"];
    private static readonly HashSet<string> LocalKeys = ["path", "readOnly", "read_only"];

    private static List<StorageSpec> ReadStorage(SpecReader r, JsonNode? node)
    {
        var result = new List<StorageSpec>();
        var array = r.Array(node, "storage");
        if (array is null)
        {
            return result;
        }

        var mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var path = SpecReader.Index("storage", i);
            var obj = r.Object(array[i], path);
            if (obj is null)
            {
                if (array[i] is null)
                {
                    r.Error(path, "must be an object, got null");
                }

                continue;
            }

            var entry = ReadStorageEntry(r, obj, path);
            if (entry is null)
            {
                continue;
            }

            var normalized = entry.MountPath.TrimEnd('/');
            if (mounts.TryGetValue(normalized, out var first))
            {
                r.Error(path + ".mount_path", $"\"{entry.MountPath}\" is already used by {first}");
                continue;
            }

            mounts[normalized] = path;
            result.Add(entry);
        }

        return result;
    }

    private static StorageSpec? ReadStorageEntry(SpecReader r, JsonObject obj, string path)
    {
        r.WarnUnknown(obj, path, StorageKeys);
        var errors = r.Errors.Count;

        var mountPath = r.String(obj["mount_path"], path + ".mount_path");
        if (obj["mount_path"] is null)
        {
            r.Error(path + ".mount_path", "required: where the storage appears inside the instance");
        }
        else if (mountPath is not null && !mountPath.StartsWith('/'))
        {
            r.Error(path + ".mount_path", $"must be an absolute path, got \"{mountPath}\"");
        }

        var outerReadOnly = ReadOnlyFlag(r, obj, path);

        var given = StorageKinds.Where(k => obj[k] is not null).ToList();
        if (given.Count == 0)
        {
            r.Error(path, "needs one of oss, nfs, git, empty_dir, dataset, local");
            return null;
        }

        if (given.Count > 1)
        {
            r.Error(path, $"give exactly one of oss, nfs, git, empty_dir, dataset, local (got {string.Join(", ", given)})");
            return null;
        }

        var kindPath = path + "." + given[0];
        var source = r.Object(obj[given[0]], kindPath);
        if (source is null)
        {
            return null;
        }

        // Read the source even without a mount path, so its errors are reported in the same pass.
        var mount = mountPath ?? "";
        var spec = given[0] switch
        {
            "oss" => ReadOss(r, source, kindPath, mount),
            "nfs" => ReadNfs(r, source, kindPath, mount),
            "git" => ReadGit(r, source, kindPath, mount),
            "empty_dir" => ReadEmptyDir(r, source, kindPath, mount),
            "dataset" => ReadDataset(r, source, kindPath, mount),
            _ => ReadLocal(r, source, kindPath, mount),
        };

        // A flag inside the source wins; EAS's flat style puts readOnly beside it.
        var innerReadOnly = ReadOnlyFlag(r, source, kindPath);
        return r.Errors.Count > errors ? null : spec with { ReadOnly = innerReadOnly ?? outerReadOnly ?? false };
    }

    private static bool? ReadOnlyFlag(SpecReader r, JsonObject obj, string path) =>
        r.Bool(obj["readOnly"], path + ".readOnly") ?? r.Bool(obj["read_only"], path + ".read_only");

    private static string? Required(SpecReader r, JsonObject obj, string key, string path, string what)
    {
        if (obj[key] is null)
        {
            r.Error(path + "." + key, "required: " + what);
            return null;
        }

        return r.String(obj[key], path + "." + key);
    }

    private static StorageSpec ReadOss(SpecReader r, JsonObject obj, string path, string mountPath)
    {
        r.WarnUnknown(obj, path, OssKeys);
        var ossPath = Required(r, obj, "path", path, "the OSS location, oss://bucket/key/");
        if (ossPath is not null && !ossPath.StartsWith("oss://", StringComparison.Ordinal))
        {
            r.Error(path + ".path", $"must start with oss://, got \"{ossPath}\"");
        }

        return new StorageSpec { MountPath = mountPath, Kind = StorageKind.Oss, Source = ossPath ?? "" };
    }

    private static StorageSpec ReadNfs(SpecReader r, JsonObject obj, string path, string mountPath)
    {
        r.WarnUnknown(obj, path, NfsKeys);
        var server = Required(r, obj, "server", path, "the NFS server's address");
        var nfsPath = Required(r, obj, "path", path, "the exported directory");
        if (nfsPath is not null && !nfsPath.StartsWith('/'))
        {
            r.Error(path + ".path", $"must be an absolute path, got \"{nfsPath}\"");
        }

        return new StorageSpec { MountPath = mountPath, Kind = StorageKind.Nfs, Source = $"{server}:{nfsPath}" };
    }

    private static StorageSpec ReadGit(SpecReader r, JsonObject obj, string path, string mountPath)
    {
        r.WarnUnknown(obj, path, GitKeys);
        var repo = Required(r, obj, "repo", path, "the repository URL");
        var branch = r.String(obj["branch"], path + ".branch");
        var commit = r.String(obj["commit"], path + ".commit");
        return new StorageSpec { MountPath = mountPath, Kind = StorageKind.Git, Source = repo ?? "", Revision = branch, Commit = commit };
    }

    private static StorageSpec ReadEmptyDir(SpecReader r, JsonObject obj, string path, string mountPath)
    {
        r.WarnUnknown(obj, path, EmptyDirKeys);
        var medium = r.String(obj["medium"], path + ".medium", nonEmpty: false);
        if (medium is { Length: 0 })
        {
            medium = null;
        }
        else if (medium is not null)
        {
            if (medium.Equals("memory", StringComparison.OrdinalIgnoreCase))
            {
                medium = "memory";
            }
            else
            {
                r.Error(path + ".medium", $"must be \"memory\" or absent (disk), got \"{medium}\"");
            }
        }

        var size = r.Number(obj["size_limit"], path + ".size_limit", 0, false, "a number of GB > 0");
        return new StorageSpec { MountPath = mountPath, Kind = StorageKind.EmptyDir, Medium = medium, SizeLimitGb = size };
    }

    private static StorageSpec ReadDataset(SpecReader r, JsonObject obj, string path, string mountPath)
    {
        r.WarnUnknown(obj, path, DatasetKeys);
        string? id = null;
        if (obj["id"] is null)
        {
            r.Error(path + ".id", "required: the dataset's id");
        }
        else
        {
            id = r.Text(obj["id"], path + ".id");
        }

        var version = r.Text(obj["version"], path + ".version");
        return new StorageSpec { MountPath = mountPath, Kind = StorageKind.Dataset, Source = id ?? "", Revision = version };
    }

    private static StorageSpec ReadLocal(SpecReader r, JsonObject obj, string path, string mountPath)
    {
        r.WarnUnknown(obj, path, LocalKeys);
        var local = Required(r, obj, "path", path, "a directory on the host");
        if (local is not null && !local.StartsWith('/'))
        {
            r.Error(path + ".path", $"must be an absolute path, got \"{local}\"");
        }

        return new StorageSpec { MountPath = mountPath, Kind = StorageKind.LocalPath, Source = local ?? "" };
    }
}
