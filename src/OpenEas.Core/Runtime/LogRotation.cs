namespace OpenEas.Core.Runtime;

/// <summary>
/// Copy-and-truncate rotation: the program keeps its file descriptor (opened with O_APPEND), so the
/// file is copied aside and truncated in place instead of renamed.
/// </summary>
public static class LogRotation
{
    /// <returns>true when the file was rotated.</returns>
    public static bool RotateIfNeeded(string path, long maxBytes, int keep)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length <= maxBytes || keep < 1)
        {
            return false;
        }

        for (var i = keep - 1; i >= 1; i--)
        {
            var from = $"{path}.{i}";
            if (File.Exists(from))
            {
                File.Move(from, $"{path}.{i + 1}", overwrite: true);
            }
        }

        File.Copy(path, path + ".1", overwrite: true);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(0);
        }

        return true;
    }
}
