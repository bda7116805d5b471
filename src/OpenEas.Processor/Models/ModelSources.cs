using System.Security.Cryptography;

namespace OpenEas.Processor.Models;

/// <summary>
/// Resolves <c>model_path</c> to a local file: local paths and <c>file://</c> as they are (a path under a storage
/// mount is looked up below the instance directory), <c>oss://bucket/key</c> in the data dir's <c>oss/</c>, and
/// <c>http(s)://</c> downloaded once into the content-addressed cache <c>{data}/models/</c> that every instance
/// shares: <c>sha256/{hash}/{file}</c> holds the content, <c>urls/{hash of url}</c> remembers which content a URL gave.
/// </summary>
public sealed class ModelSources(string dataDir, HttpClient http, TextWriter log)
{
    private readonly string _dataDir = Path.GetFullPath(dataDir);

    public async Task<string> ResolveAsync(string source, CancellationToken ct)
    {
        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return await DownloadAsync(new Uri(source), ct).ConfigureAwait(false);
        }

        string path;
        if (source.StartsWith("oss://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = source["oss://".Length..];
            if (rest.Split('/').Any(p => p == ".."))
            {
                throw new ModelSourceException($"{source}: '..' is not allowed in an oss path");
            }

            path = Path.Combine(_dataDir, "oss", rest);
        }
        else if (source.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            path = Uri.UnescapeDataString(source["file://".Length..]);
            path = Mounted(path);
        }
        else
        {
            path = Mounted(Path.GetFullPath(source));
        }

        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new ModelSourceException($"{source}: {path} does not exist");
        }

        return path;
    }

    /// <summary>An absolute path that is not on this machine but under the instance's mounts (<c>storage[].mount_path</c>).</summary>
    private static string Mounted(string path)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            return path;
        }

        var root = Environment.GetEnvironmentVariable("EAS_MOUNT_ROOT");
        if (root is { Length: > 0 } && Path.IsPathRooted(path))
        {
            var inside = Path.Combine(root, path.TrimStart('/'));
            if (File.Exists(inside) || Directory.Exists(inside))
            {
                return inside;
            }
        }

        return path;
    }

    private async Task<string> DownloadAsync(Uri url, CancellationToken ct)
    {
        var cache = Path.Combine(_dataDir, "models");
        var urlKey = Path.Combine(cache, "urls", Hash(System.Text.Encoding.UTF8.GetBytes(url.AbsoluteUri)));
        var fileName = Path.GetFileName(url.AbsolutePath) is { Length: > 0 } f ? f : "model";
        Directory.CreateDirectory(Path.Combine(cache, "urls"));
        // Instances starting together take turns: the first downloads, the others find it in the cache.
        using var turn = await LockAsync(urlKey + ".lock", ct).ConfigureAwait(false);
        if (File.Exists(urlKey))
        {
            var known = Path.Combine(cache, "sha256", (await File.ReadAllTextAsync(urlKey, ct).ConfigureAwait(false)).Trim(), fileName);
            if (File.Exists(known))
            {
                await log.WriteLineAsync($"model {url} from the cache: {known}").ConfigureAwait(false);
                return known;
            }
        }

        var temp = Path.Combine(cache, $".download-{Guid.NewGuid():N}");
        try
        {
            string hash;
            using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false))
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw new ModelSourceException($"{url}: the download answered {(int)response.StatusCode} {response.ReasonPhrase}");
                }

                await using var file = File.Create(temp);
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                int n;
                while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    sha.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }

                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            }

            var dir = Path.Combine(cache, "sha256", hash);
            Directory.CreateDirectory(dir);
            var target = Path.Combine(dir, fileName);
            if (File.Exists(target))
            {
                File.Delete(temp);
            }
            else
            {
                File.Move(temp, target);
            }

            // Written last and atomically, so a crash mid-download never leaves a URL pointing at partial content.
            var keyTemp = urlKey + $".{Guid.NewGuid():N}";
            await File.WriteAllTextAsync(keyTemp, hash, ct).ConfigureAwait(false);
            File.Move(keyTemp, urlKey, overwrite: true);
            await log.WriteLineAsync($"model {url} downloaded into the cache: {target}").ConfigureAwait(false);
            return target;
        }
        catch (HttpRequestException ex)
        {
            throw new ModelSourceException($"{url}: download failed: {ex.Message}", ex);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
            }
        }
    }

    private static string Hash(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}

/// <summary>The model (or processor) could not be found or fetched; the message says which and why.</summary>
public sealed class ModelSourceException : Exception
{
    public ModelSourceException()
    {
    }

    public ModelSourceException(string message)
        : base(message)
    {
    }

    public ModelSourceException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
