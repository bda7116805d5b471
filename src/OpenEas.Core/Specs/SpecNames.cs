namespace OpenEas.Core.Specs;

/// <summary>EAS's naming rules for services and environment variables.</summary>
public static class SpecNames
{
    /// <summary>The service-name rule, as shown to users.</summary>
    public const string ServiceNameRule = "must be 1-63 characters: lowercase letters, digits and '_', starting with a letter";

    /// <summary>
    /// EAS's service-name rule: 1-63 characters, lowercase ASCII letters, digits and <c>_</c>, starting with a letter.
    /// </summary>
    public static bool IsValidServiceName(string name, out string? error)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || !IsLower(name[0]))
        {
            error = ServiceNameRule;
            return false;
        }

        foreach (var c in name)
        {
            if (!IsLower(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                error = ServiceNameRule;
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary>The resource-group-name rule, as shown to users.</summary>
    public const string ResourceNameRule = "must be 1-63 characters: lowercase letters, digits, '-' and '_', starting with a letter";

    /// <summary>A resource group name (EAS's look like <c>eas-r-abc123</c>): like a service name, '-' allowed.</summary>
    public static bool IsValidResourceName(string name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 63 && IsLower(name[0])
        && name.All(c => IsLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');

    /// <summary>A POSIX-style environment variable name: a letter or <c>_</c>, then letters, digits or <c>_</c>.</summary>
    public static bool IsValidEnvName(string name)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLower(char c) => c is >= 'a' and <= 'z';
}
