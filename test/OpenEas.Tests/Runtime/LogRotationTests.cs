using System.Diagnostics;
using System.Text;
using OpenEas.Core.Runtime;

namespace OpenEas.Tests.Runtime;

public sealed class LogRotationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("openeas-logrotation-").FullName;

    private string Log => Path.Combine(_dir, "instance.log");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] RotatedFiles() =>
        [.. Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)).Where(f => f.StartsWith("instance.log.", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData(0, 10)]
    [InlineData(9, 10)]
    [InlineData(10, 10)]
    public void File_at_or_under_the_limit_is_left_alone(int length, long maxBytes)
    {
        File.WriteAllText(Log, new string('x', length));

        Assert.False(LogRotation.RotateIfNeeded(Log, maxBytes, keep: 3));

        Assert.Equal(length, new FileInfo(Log).Length);
        Assert.Empty(RotatedFiles());
    }

    [Fact]
    public void Missing_file_is_not_rotated()
    {
        Assert.False(LogRotation.RotateIfNeeded(Log, 10, keep: 3));
        Assert.False(File.Exists(Log));
    }

    [Fact]
    public void Keep_zero_disables_rotation()
    {
        File.WriteAllText(Log, "0123456789ABCDEF");

        Assert.False(LogRotation.RotateIfNeeded(Log, 10, keep: 0));
        Assert.Equal("0123456789ABCDEF", File.ReadAllText(Log));
    }

    [Fact]
    public void Rotation_copies_the_log_aside_and_truncates_it()
    {
        File.WriteAllText(Log, "first generation\n");

        Assert.True(LogRotation.RotateIfNeeded(Log, 10, keep: 3));

        Assert.Equal("", File.ReadAllText(Log));
        Assert.Equal("first generation\n", File.ReadAllText(Log + ".1"));
        Assert.Equal(["instance.log.1"], RotatedFiles());
    }

    [Theory]
    [InlineData(1, 5, new[] { "gen5" })]
    [InlineData(2, 5, new[] { "gen5", "gen4" })]
    [InlineData(3, 2, new[] { "gen2", "gen1" })]
    [InlineData(3, 5, new[] { "gen5", "gen4", "gen3" })]
    public void Rotation_shifts_older_copies_and_keeps_at_most_keep(int keep, int rotations, string[] expected)
    {
        for (var gen = 1; gen <= rotations; gen++)
        {
            File.WriteAllText(Log, $"gen{gen}-padding-past-the-limit");
            Assert.True(LogRotation.RotateIfNeeded(Log, 10, keep));
        }

        // .1 is the newest copy, .keep the oldest kept.
        var kept = RotatedFiles();
        Assert.Equal(expected.Select((_, i) => $"instance.log.{i + 1}"), kept);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.StartsWith(expected[i] + "-", File.ReadAllText($"{Log}.{i + 1}"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Program_writing_through_an_append_descriptor_continues_at_the_start_of_the_truncated_file()
    {
        // The instance wrapper's own redirection (ProcessRuntime: exec >>"$EAS_LOG_FILE"): a real O_APPEND
        // descriptor held open across the rotation. The program says "rotate" on stderr and waits on stdin.
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-c", """exec >>"$1"; echo "before rotation, long enough to pass the limit"; echo rotate >&2; read _; echo after""", "sh", Log])
        {
            psi.ArgumentList.Add(arg);
        }

        using var program = Process.Start(psi)!;
        Assert.Equal("rotate", program.StandardError.ReadLine());

        Assert.True(LogRotation.RotateIfNeeded(Log, 10, keep: 2));
        program.StandardInput.WriteLine("go");
        program.StandardInput.Close();
        Assert.True(program.WaitForExit(TimeSpan.FromSeconds(10)), "the writer did not finish");

        // No hole of zeros where the old content was: the next write lands at offset 0.
        Assert.Equal("after\n", File.ReadAllText(Log));
        Assert.Equal("before rotation, long enough to pass the limit\n", File.ReadAllText(Log + ".1"));
    }

    [Fact]
    public void Dotnet_append_mode_is_not_o_append_so_its_writes_after_truncation_leave_a_hole()
    {
        // Why the instance log is written by the shell's >> and not by a FileStream in the server: .NET's
        // FileMode.Append seeks to the end once and then writes at its own offset (no O_APPEND on Unix), so
        // after copy-and-truncate the next write lands past a run of NULs. Kept here so a change in .NET shows up.
        const string Before = "before rotation, long enough to pass the limit\n";
        using var writer = new FileStream(Log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        Write(writer, Before);

        Assert.True(LogRotation.RotateIfNeeded(Log, 10, keep: 2));
        Write(writer, "after\n");

        var bytes = File.ReadAllBytes(Log);
        Assert.Equal(Before.Length + "after\n".Length, bytes.Length);
        Assert.All(bytes[..Before.Length], b => Assert.Equal(0, b));
    }

    private static void Write(FileStream stream, string text)
    {
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush();
    }
}
