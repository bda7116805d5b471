using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenEas.Core.Specs;

/// <summary>
/// Changes to a stored spec: the partial spec of <c>eas modify -s partial.json</c> and the
/// <c>-Dkey=value</c> assignments of <c>eas modify -D…</c>.
/// </summary>
/// <remarks>
/// <para><see cref="Merge"/> is JSON merge patch (RFC 7396): objects merge recursively, arrays and scalars replace,
/// an explicit <c>null</c> removes the key.</para>
/// <para>One OpenEAS extension addresses array elements: an object whose keys are all of the form <c>"[i]"</c>
/// (an <em>index object</em>, which <see cref="FromDottedAssignments"/> produces for <c>containers[0].port=9000</c>)
/// patches the array it lands on element by element. Element <c>i</c> is merged like any value; <c>i</c> equal to the
/// array's length appends; <c>null</c> removes the element; a gap is an <see cref="ArgumentException"/>.
/// Landing on a missing key builds a new array, which must then be given from index 0 without gaps.</para>
/// <para>Under <c>metadata</c>, a value is patched where the current spec keeps it: a patch of <c>rpc.keepalive</c>
/// updates a dotted key <c>"rpc.keepalive"</c> if the current spec uses that form, and the other way round,
/// so the two forms never end up side by side with different values.</para>
/// </remarks>
public static class SpecMerge
{
    /// <summary>Returns <paramref name="current"/> with <paramref name="patch"/> applied; neither input is changed.</summary>
    public static JsonObject Merge(JsonObject current, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(patch);
        var result = (JsonObject)current.DeepClone();
        if (patch["metadata"] is JsonObject metadataPatch && result["metadata"] is JsonObject metadata)
        {
            var redirected = (JsonObject)patch.DeepClone();
            redirected["metadata"] = AlignMetadataPatch(metadata, metadataPatch);
            patch = redirected;
        }

        MergeInto(result, patch, "");
        return result;
    }

    /// <summary>
    /// True when the two specs are deep-equal once <c>metadata.instance</c> is removed from both: a change that is
    /// only a scale, with no rollout. Also true for identical specs; use <see cref="JsonNode.DeepEquals"/> first to tell "unchanged".
    /// </summary>
    public static bool DiffersOnlyInInstanceCount(JsonObject a, JsonObject b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return JsonNode.DeepEquals(WithoutInstance(a), WithoutInstance(b));
    }

    /// <summary>
    /// Turns EASCMD's <c>-D</c> assignments (given without the <c>-D</c>) into a patch for <see cref="Merge"/>:
    /// <c>metadata.instance=3</c> → <c>{"metadata":{"instance":3}}</c>,
    /// <c>containers[0].image=x</c> → <c>{"containers":{"[0]":{"image":"x"}}}</c> (an index object).
    /// A value is parsed as JSON when it parses (numbers, true/false, null, objects, arrays, quoted strings), else kept as a string.
    /// </summary>
    /// <exception cref="ArgumentException">An assignment without <c>=</c>, or with a malformed key.</exception>
    public static JsonObject FromDottedAssignments(IEnumerable<string> assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        var patch = new JsonObject();
        foreach (var assignment in assignments)
        {
            var eq = assignment.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new ArgumentException($"\"{assignment}\" is not an assignment: write key=value, e.g. metadata.instance=3");
            }

            var key = assignment[..eq].Trim();
            var segments = ParseKey(key, assignment);
            var target = patch;
            for (var i = 0; i < segments.Count - 1; i++)
            {
                target = Child(target, segments[i], assignment);
            }

            target[segments[^1]] = ParseValue(assignment[(eq + 1)..]);
        }

        return patch;
    }

    private static JsonObject Child(JsonObject obj, string key, string assignment)
    {
        switch (obj[key])
        {
            case JsonObject existing:
                return existing;
            case null:
                var created = new JsonObject();
                obj[key] = created;
                return created;
            default:
                throw new ArgumentException($"\"{assignment}\" sets a field inside \"{key}\", which an earlier assignment set to a value");
        }
    }

    /// <summary><c>a.b[0].c</c> → <c>a</c>, <c>b</c>, <c>[0]</c>, <c>c</c>.</summary>
    private static List<string> ParseKey(string key, string assignment)
    {
        var segments = new List<string>();
        foreach (var part in key.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? part : part[..bracket];
            if (name.Length == 0)
            {
                throw new ArgumentException($"\"{assignment}\": the key \"{key}\" has an empty name (write a.b.c or a[0].b)");
            }

            segments.Add(name);
            var rest = bracket < 0 ? "" : part[bracket..];
            while (rest.Length > 0)
            {
                var close = rest.IndexOf(']', StringComparison.Ordinal);
                if (!rest.StartsWith('[') || close < 2
                    || !int.TryParse(rest[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    throw new ArgumentException($"\"{assignment}\": \"{part}\" is not name[index] with a whole-number index");
                }

                segments.Add(IndexKey(index));
                rest = rest[(close + 1)..];
            }
        }

        return segments;
    }

    private static JsonNode? ParseValue(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static string IndexKey(int index) => "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private static bool TryIndex(string key, out int index)
    {
        index = -1;
        return key.Length > 2 && key[0] == '[' && key[^1] == ']'
            && int.TryParse(key.AsSpan(1, key.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    private static bool IsIndexObject(JsonObject obj)
    {
        if (obj.Count == 0)
        {
            return false;
        }

        foreach (var (key, _) in obj)
        {
            if (!TryIndex(key, out _))
            {
                return false;
            }
        }

        return true;
    }

    private static void MergeInto(JsonObject target, JsonObject patch, string path)
    {
        foreach (var (key, value) in patch)
        {
            var childPath = path.Length == 0 ? key : path + "." + key;
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObj && IsIndexObject(patchObj))
            {
                if (target[key] is not (null or JsonArray))
                {
                    throw new ArgumentException($"{childPath}: is {SpecReader.Describe(target[key])}, not an array, so it has no [index]");
                }

                target[key] = MergeArray(target[key] as JsonArray, patchObj, childPath);
            }
            else if (value is JsonObject patchChild)
            {
                var child = target[key] as JsonObject ?? new JsonObject();
                if (target[key] is not JsonObject)
                {
                    target[key] = child;
                }

                MergeInto(child, patchChild, childPath);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    private static JsonArray MergeArray(JsonArray? current, JsonObject indexPatch, string path)
    {
        var items = new List<JsonNode?>();
        if (current is not null)
        {
            foreach (var item in current)
            {
                items.Add(item?.DeepClone());
            }
        }

        var removed = new SortedSet<int>();
        foreach (var (key, value) in indexPatch.OrderBy(p => Index(p.Key)))
        {
            var index = Index(key);
            var itemPath = path + key;
            if (index > items.Count)
            {
                throw new ArgumentException(
                    $"{itemPath}: index past the end (the array has {items.Count} element{(items.Count == 1 ? "" : "s")}; the next one is [{items.Count}])");
            }

            if (value is null)
            {
                if (index == items.Count)
                {
                    throw new ArgumentException($"{itemPath}: no such element to remove");
                }

                removed.Add(index);
                continue;
            }

            if (index == items.Count)
            {
                items.Add(null);
            }

            items[index] = value switch
            {
                JsonObject obj when IsIndexObject(obj) => MergeArray(items[index] as JsonArray, obj, itemPath),
                JsonObject obj => MergeObject(items[index] as JsonObject, obj, itemPath),
                _ => value.DeepClone(),
            };
        }

        foreach (var index in removed.Reverse())
        {
            items.RemoveAt(index);
        }

        var result = new JsonArray();
        foreach (var item in items)
        {
            result.Add(item);
        }

        return result;
    }

    private static JsonObject MergeObject(JsonObject? current, JsonObject patch, string path)
    {
        var target = current ?? new JsonObject();
        MergeInto(target, patch, path);
        return target;
    }

    private static int Index(string key) => TryIndex(key, out var index) ? index : -1;

    /// <summary>
    /// Rewrites a metadata patch so each value lands where <paramref name="current"/> keeps it: nested patch values go
    /// to an existing dotted key, dotted patch keys go into an existing nested object.
    /// </summary>
    private static JsonObject AlignMetadataPatch(JsonObject current, JsonObject patch)
    {
        var aligned = (JsonObject)patch.DeepClone();

        // Nested in the patch, dotted in the current spec.
        foreach (var (dotted, _) in current)
        {
            if (!dotted.Contains('.', StringComparison.Ordinal))
            {
                continue;
            }

            var segments = dotted.Split('.');
            JsonObject? parent = aligned;
            for (var i = 0; i < segments.Length - 1 && parent is not null; i++)
            {
                parent = parent[segments[i]] as JsonObject;
            }

            if (parent is not null && parent.TryGetPropertyValue(segments[^1], out var value))
            {
                parent.Remove(segments[^1]);
                aligned[dotted] = value;
                PruneEmpty(aligned, segments);
            }
        }

        // Dotted in the patch, nested in the current spec.
        foreach (var (dotted, value) in patch)
        {
            if (!dotted.Contains('.', StringComparison.Ordinal) || current.ContainsKey(dotted))
            {
                continue;
            }

            var segments = dotted.Split('.');
            JsonObject? parent = current;
            for (var i = 0; i < segments.Length - 1 && parent is not null; i++)
            {
                parent = parent[segments[i]] as JsonObject;
            }

            if (parent is null || !parent.ContainsKey(segments[^1]))
            {
                continue;
            }

            aligned.Remove(dotted);
            var target = aligned;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                if (target[segments[i]] is not JsonObject next)
                {
                    next = new JsonObject();
                    target[segments[i]] = next;
                }

                target = next;
            }

            target[segments[^1]] = value?.DeepClone();
        }

        return aligned;
    }

    /// <summary>Drops the objects along <paramref name="segments"/> that a redirect left empty, so they do not create empty objects.</summary>
    private static void PruneEmpty(JsonObject root, string[] segments)
    {
        for (var depth = segments.Length - 1; depth >= 1; depth--)
        {
            JsonObject? parent = root;
            for (var i = 0; i < depth - 1 && parent is not null; i++)
            {
                parent = parent[segments[i]] as JsonObject;
            }

            if (parent?[segments[depth - 1]] is JsonObject { Count: 0 })
            {
                parent.Remove(segments[depth - 1]);
            }
        }
    }

    private static JsonObject WithoutInstance(JsonObject spec)
    {
        var copy = (JsonObject)spec.DeepClone();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("instance");
            if (metadata.Count == 0)
            {
                copy.Remove("metadata");
            }
        }

        return copy;
    }
}
