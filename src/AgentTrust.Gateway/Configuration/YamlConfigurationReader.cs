using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AgentTrust.Gateway.Configuration;

/// <summary>
/// Turns a YAML configuration file into the JSON tree the JSON form is read from, so that one contract and one
/// validator serve both. Strict by design (a configuration that reads differently than it looks weakens policy):
/// <list type="bullet">
/// <item>one document; no anchors, aliases or merge keys (alias bombs, and values that change in two places at once);</item>
/// <item>no tags (<c>!!str</c>, <c>!custom</c>); mapping keys are scalars and never repeat;</item>
/// <item>plain scalars: <c>true</c>/<c>false</c> are booleans, <c>null</c>/<c>~</c>/empty are null, decimal numbers are
/// numbers, everything else is a string; quoted scalars are always strings. YAML 1.1 booleans (<c>yes</c>, <c>on</c>,
/// <c>True</c>…) are strings, so they are refused where a boolean is expected instead of silently becoming true;</item>
/// <item>nesting deeper than <see cref="MaxDepth"/> is refused.</item>
/// </list>
/// Errors name the line. The events are read from the parser directly: nothing is built before it has been checked.
/// </summary>
internal static partial class YamlConfigurationReader
{
    /// <summary>The deepest accepted nesting of mappings and sequences.</summary>
    public const int MaxDepth = 32;

    /// <summary>Parses YAML text into a JSON tree; <paramref name="lines"/> maps the System.Text.Json path of each node to its line.</summary>
    /// <exception cref="InvalidDataException">The text is not acceptable YAML for a configuration.</exception>
    public static JsonNode? ToJson(string text, out IReadOnlyDictionary<string, long> lines)
    {
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        lines = map;
        try
        {
            var parser = new Parser(new StringReader(text));
            Expect<StreamStart>(parser);
            if (parser.Current is StreamEnd)
            {
                throw new InvalidDataException("invalid configuration: the YAML file is empty");
            }

            Expect<DocumentStart>(parser);
            var root = ReadNode(parser, "$", 0, map);
            Expect<DocumentEnd>(parser);
            if (parser.Current is not StreamEnd)
            {
                throw Error(parser.Current, "only one YAML document is allowed");
            }

            return root;
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"invalid configuration (line {e.Start.Line}): {FirstLine(e.Message)}", e);
        }
    }

    private static JsonNode? ReadNode(IParser parser, string path, int depth, Dictionary<string, long> lines)
    {
        var current = parser.Current ?? throw new InvalidDataException("invalid configuration: the YAML file ends early");
        if (current is AnchorAlias)
        {
            throw Error(current, "YAML aliases (*name) are not allowed");
        }

        if (current is NodeEvent node)
        {
            if (!node.Anchor.IsEmpty)
            {
                throw Error(current, "YAML anchors (&name) are not allowed");
            }

            if (!node.Tag.IsEmpty)
            {
                throw Error(current, "YAML tags are not allowed");
            }
        }

        lines[path] = current.Start.Line;
        switch (current)
        {
            case Scalar scalar:
                parser.MoveNext();
                return ScalarValue(scalar);
            case MappingStart:
                return ReadMapping(parser, path, Deeper(current, depth), lines);
            case SequenceStart:
                return ReadSequence(parser, path, Deeper(current, depth), lines);
            default:
                throw Error(current, "unexpected YAML content");
        }
    }

    private static JsonObject ReadMapping(IParser parser, string path, int depth, Dictionary<string, long> lines)
    {
        parser.MoveNext();
        var result = new JsonObject();
        while (parser.Current is not MappingEnd)
        {
            if (parser.Current is not Scalar key || !key.Anchor.IsEmpty || !key.Tag.IsEmpty)
            {
                throw Error(parser.Current, "mapping keys must be plain or quoted text, without anchors, aliases or tags");
            }

            if (result.ContainsKey(key.Value))
            {
                throw Error(key, $"duplicate key '{key.Value}'");
            }

            parser.MoveNext();
            var childPath = IsSimpleName(key.Value) ? $"{path}.{key.Value}" : $"{path}['{key.Value}']";
            result[key.Value] = ReadNode(parser, childPath, depth, lines);
        }

        parser.MoveNext();
        return result;
    }

    private static JsonArray ReadSequence(IParser parser, string path, int depth, Dictionary<string, long> lines)
    {
        parser.MoveNext();
        var result = new JsonArray();
        while (parser.Current is not SequenceEnd)
        {
            result.Add(ReadNode(parser, string.Create(CultureInfo.InvariantCulture, $"{path}[{result.Count}]"), depth, lines));
        }

        parser.MoveNext();
        return result;
    }

    private static JsonNode? ScalarValue(Scalar scalar)
    {
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(scalar.Value);
        }

        var text = scalar.Value;
        if (text is "" or "null" or "~")
        {
            return null;
        }

        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }

        if (IntegerPattern().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? JsonValue.Create(integer)
                : throw Error(scalar, $"number out of range: {text}");
        }

        if (DecimalPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }

    private static int Deeper(ParsingEvent at, int depth) =>
        depth + 1 > MaxDepth ? throw Error(at, $"nesting deeper than {MaxDepth} levels") : depth + 1;

    private static void Expect<T>(IParser parser)
        where T : ParsingEvent
    {
        if (parser.Current is null && !parser.MoveNext())
        {
            throw new InvalidDataException("invalid configuration: the YAML file ends early");
        }

        if (parser.Current is not T)
        {
            throw Error(parser.Current, "unexpected YAML content");
        }

        parser.MoveNext();
    }

    private static bool IsSimpleName(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private static InvalidDataException Error(ParsingEvent? at, string message) =>
        new(at is null ? $"invalid configuration: {message}" : $"invalid configuration (line {at.Start.Line}): {message}");

    [GeneratedRegex("^-?(0|[1-9][0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalPattern();
}
