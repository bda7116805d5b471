namespace OpenEas.Bench.Infrastructure;

/// <summary>The runner's temp directories.</summary>
internal static class TempDir
{
    /// <summary>Deletes a temp directory and what it holds; a file still held open (a process that just exited) is left behind.</summary>
    public static void DeleteQuietly(DirectoryInfo dir)
    {
        try
        {
            dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
