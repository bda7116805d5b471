using System.Text;
using Microsoft.AspNetCore.Http;

namespace OpenEas.Server.Api;

/// <summary>Reads and follows instance log files for <c>GET /services/{name}/logs</c>.</summary>
internal static class InstanceLogs
{
    private const int MaxTailBytes = 4 * 1024 * 1024;

    /// <summary>The last <paramref name="lines"/> lines of a file (reading at most the last 4 MB), and the offset read up to.</summary>
    public static (List<string> Lines, long Offset) Tail(string path, int lines)
    {
        if (!File.Exists(path))
        {
            return ([], 0);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = stream.Length;
        var start = Math.Max(0, length - MaxTailBytes);
        stream.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[length - start];
        stream.ReadExactly(buffer);
        var text = Encoding.UTF8.GetString(buffer);
        var all = text.Split('\n');
        var list = new List<string>(all);
        if (list.Count > 0 && list[^1].Length == 0)
        {
            list.RemoveAt(list.Count - 1);
        }

        if (start > 0 && list.Count > 0)
        {
            list.RemoveAt(0); // a partial first line
        }

        return (list.Count > lines ? list.GetRange(list.Count - lines, lines) : list, length);
    }

    /// <summary>Writes the tail of each file, then (when following) new lines as they are written, until the client leaves.</summary>
    public static async Task WriteAsync(HttpResponse response, IReadOnlyList<(string Name, string Path)> files, int tail, bool follow,
        TimeProvider time, CancellationToken ct)
    {
        response.ContentType = "text/plain; charset=utf-8";
        var prefix = files.Count > 1;
        var offsets = new long[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            var (lines, offset) = Tail(files[i].Path, tail);
            offsets[i] = offset;
            foreach (var line in lines)
            {
                await response.WriteAsync(prefix ? $"[{files[i].Name}] {line}\n" : line + "\n", ct).ConfigureAwait(false);
            }
        }

        if (!follow)
        {
            return;
        }

        await response.Body.FlushAsync(ct).ConfigureAwait(false);
        var partial = new string[files.Count];
        while (!ct.IsCancellationRequested)
        {
            var wrote = false;
            for (var i = 0; i < files.Count; i++)
            {
                var info = new FileInfo(files[i].Path);
                if (!info.Exists)
                {
                    continue;
                }

                if (info.Length < offsets[i])
                {
                    offsets[i] = 0; // rotated (copy-truncate)
                }

                if (info.Length == offsets[i])
                {
                    continue;
                }

                using var stream = new FileStream(files[i].Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                stream.Seek(offsets[i], SeekOrigin.Begin);
                var buffer = new byte[Math.Min(stream.Length - offsets[i], MaxTailBytes)];
                var read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                offsets[i] += read;
                var text = (partial[i] ?? "") + Encoding.UTF8.GetString(buffer, 0, read);
                var cut = text.LastIndexOf('\n');
                partial[i] = cut < 0 ? text : text[(cut + 1)..];
                if (cut < 0)
                {
                    continue;
                }

                foreach (var line in text[..cut].Split('\n'))
                {
                    await response.WriteAsync(prefix ? $"[{files[i].Name}] {line}\n" : line + "\n", ct).ConfigureAwait(false);
                }

                wrote = true;
            }

            if (wrote)
            {
                await response.Body.FlushAsync(ct).ConfigureAwait(false);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct).ConfigureAwait(false);
        }
    }
}
