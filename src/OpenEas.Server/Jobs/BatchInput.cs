namespace OpenEas.Server.Jobs;

/// <summary>One item of a batch job: its name (relative path, or <c>line-000042</c>) and where its result goes.</summary>
/// <param name="Line">For a JSONL input: the line's text; null for a file.</param>
internal sealed record BatchItem(string Name, string? SourcePath, string? Line)
{
    public Task<byte[]> ReadAsync(CancellationToken ct) =>
        Line is not null ? Task.FromResult(System.Text.Encoding.UTF8.GetBytes(Line)) : File.ReadAllBytesAsync(SourcePath!, ct);

    /// <summary>The result file, under the output directory.</summary>
    public string ResultPath(string output) => Path.Combine(output, Name);
}

/// <summary>
/// What a batch job's input names: a directory (every file below it), an <c>oss://bucket/prefix</c> (resolved under the
/// data dir's <c>oss/</c>; a directory, or the files whose names start with the prefix), or a <c>.jsonl</c> file (one
/// item per non-empty line). Items come in a stable order, so a resumed job sees the same list.
/// </summary>
internal static class BatchInput
{
    /// <summary>Resolves <c>oss://</c> to the local path; other inputs are taken as they are.</summary>
    public static string Resolve(string input, string dataDir)
    {
        if (!input.StartsWith("oss://", StringComparison.Ordinal))
        {
            return Path.GetFullPath(input);
        }

        var rest = input["oss://".Length..];
        if (rest.Length == 0 || rest.Split('/').Any(p => p == ".."))
        {
            throw new ArgumentException($"input: \"{input}\" is not an oss://bucket/prefix");
        }

        return Path.Combine(dataDir, "oss", rest);
    }

    /// <summary>The items, sorted by name. Throws <see cref="ArgumentException"/> naming the problem when there is no such input.</summary>
    public static List<BatchItem> Enumerate(string input, string dataDir)
    {
        var path = Resolve(input, dataDir);
        if (File.Exists(path) && path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var items = new List<BatchItem>();
            var n = 0;
            foreach (var line in File.ReadLines(path))
            {
                n++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    items.Add(new BatchItem($"line-{n:D6}", null, line));
                }
            }

            return items;
        }

        if (Directory.Exists(path))
        {
            return Files(path, path, null);
        }

        // An oss:// prefix that is not a directory: the files in its parent whose names start with it.
        if (input.StartsWith("oss://", StringComparison.Ordinal) && Path.GetDirectoryName(path) is { } parent && Directory.Exists(parent))
        {
            return Files(parent, parent, Path.GetFileName(path));
        }

        throw new ArgumentException($"input: \"{input}\" is neither a directory, an oss:// prefix with files, nor a .jsonl file");
    }

    private static List<BatchItem> Files(string root, string dir, string? prefix)
    {
        var items = new List<BatchItem>();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetRelativePath(root, file);
            if (prefix is null || name.StartsWith(prefix, StringComparison.Ordinal))
            {
                items.Add(new BatchItem(name, file, null));
            }
        }

        items.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return items;
    }
}
