namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>Paths inside the repository the tests run from.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string EchoApp => Path.Combine(Root, "examples", "echo-py", "app.py");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpenEas.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (OpenEas.slnx) not found");
    }
}
