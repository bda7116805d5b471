using Spectre.Console;
using Spectre.Console.Rendering;

namespace OpenEas.Cli.Output;

/// <summary>Renders rows as the ASCII tables EASCMD prints. Cell text is never read as markup; a null cell is empty.</summary>
internal static class Tables
{
    /// <summary>A table with a header row (<c>ls</c>, <c>w</c>, <c>events</c>, ...).</summary>
    public static void Write(IAnsiConsole console, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.Ascii2);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header)) { NoWrap = true });
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell ?? "")).ToArray());
        }

        console.Write(table);
    }

    /// <summary>A two-column key/value table without a header (<c>desc</c>, <c>create</c>).</summary>
    public static void WriteKeyValues(IAnsiConsole console, IEnumerable<(string Key, string Value)> pairs)
    {
        var table = new Table().Border(TableBorder.Ascii2).HideHeaders();
        table.AddColumn(new TableColumn("") { Alignment = Justify.Right, NoWrap = true });
        table.AddColumn(new TableColumn(""));
        foreach (var (key, value) in pairs)
        {
            table.AddRow(new Text(key), new Text(value ?? ""));
        }

        console.Write(table);
    }
}
