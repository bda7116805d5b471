namespace OpenEas.Examples.Ocr;

/// <summary>
/// The recognition model's classes: the CTC blank (class 0), the characters of the dictionary file one a line
/// (ppocr_keys_v1.txt, shipped with the models), then a space.
/// </summary>
internal sealed class CharacterDictionary
{
    private readonly string[] _classes;

    public CharacterDictionary(IEnumerable<string> characters)
    {
        _classes = ["", .. characters, " "];
    }

    public int Count => _classes.Length;

    public string this[int index] => _classes[index];

    public static CharacterDictionary Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new OcrException($"character dictionary {path} not found (examples/ocr/fetch-models.sh fetches it)");
        }

        var lines = File.ReadAllText(path).Split('\n');
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        return new CharacterDictionary(lines.Take(count).Select(static l => l.TrimEnd('\r')));
    }
}
