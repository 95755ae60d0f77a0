using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentTrust.Mcps.Tools;

/// <summary>What kind of deceptive character a tool's text contains.</summary>
public enum ToolTextFindingKind
{
    /// <summary>A zero-width or otherwise invisible character (ZWSP, ZWJ, ZWNJ, word joiner, BOM, soft hyphen, tag characters).</summary>
    Invisible = 0,

    /// <summary>A bidirectional control (LRE/RLE/PDF/LRO/RLO, isolates, marks) that can reorder what a reader sees.</summary>
    BidiControl,

    /// <summary>A letter that looks like a Latin letter but is not (Cyrillic, Greek, full-width, mathematical look-alikes).</summary>
    Homoglyph,

    /// <summary>An identifier mixing Latin with another script.</summary>
    MixedScript,

    /// <summary>Another control or format character.</summary>
    Control,
}

/// <summary>One deceptive character found in a tool's text.</summary>
/// <param name="Field">Where: <c>name</c>, <c>title</c>, <c>description</c>, or a JSON pointer into <c>inputSchema</c>.</param>
/// <param name="Kind">The kind of finding.</param>
/// <param name="Index">The UTF-16 index in the string.</param>
/// <param name="CodePoint">The code point, as <c>U+XXXX</c>.</param>
/// <param name="LooksLike">For homoglyphs: the Latin letter it imitates.</param>
public sealed record ToolTextFinding(string Field, ToolTextFindingKind Kind, int Index, string CodePoint, string? LooksLike = null)
{
    /// <summary>The tool the finding is in, when the scan covered a list of tools (<see cref="ToolPinChecker.CheckListAsync"/>); null otherwise.</summary>
    public string? Tool { get; init; }
}

/// <summary>
/// Reports Unicode confusables in tool names and descriptions (mcps.md §10.1 "Detected"): homoglyphs (Cyrillic and
/// Greek look-alikes of Latin letters, full-width forms), mixed scripts in identifiers, zero-width and invisible
/// characters, Unicode tag characters and bidi controls. In free text (descriptions, schema strings) a look-alike letter
/// is reported only inside a word that also holds Latin letters, so text written in Cyrillic or Greek is not deceptive.
/// It reports; <see cref="ToolPinChecker"/> never pins a tool with findings and the gateway refuses the listing.
/// </summary>
public static class ToolTextScanner
{
    // Cyrillic and Greek letters that render like Latin ones (the common confusables of Unicode TR39 for a–z/A–Z).
    private static readonly Dictionary<int, string> LookAlikes = new()
    {
        [0x0430] = "a", [0x0435] = "e", [0x043E] = "o", [0x0440] = "p", [0x0441] = "c", [0x0443] = "y", [0x0445] = "x",
        [0x0456] = "i", [0x0458] = "j", [0x0455] = "s", [0x0501] = "d", [0x051B] = "q", [0x051D] = "w", [0x04BB] = "h",
        [0x0410] = "A", [0x0412] = "B", [0x0415] = "E", [0x041A] = "K", [0x041C] = "M", [0x041D] = "H", [0x041E] = "O",
        [0x0420] = "P", [0x0421] = "C", [0x0422] = "T", [0x0425] = "X", [0x0406] = "I", [0x0408] = "J", [0x0405] = "S",
        [0x03B1] = "a", [0x03BF] = "o", [0x03C1] = "p", [0x03BD] = "v", [0x03B9] = "i", [0x03BA] = "k", [0x03C5] = "u",
        [0x0391] = "A", [0x0392] = "B", [0x0395] = "E", [0x0396] = "Z", [0x0397] = "H", [0x0399] = "I", [0x039A] = "K",
        [0x039C] = "M", [0x039D] = "N", [0x039F] = "O", [0x03A1] = "P", [0x03A4] = "T", [0x03A5] = "Y", [0x03A7] = "X",
        [0x0131] = "i", [0x0261] = "g", [0x01C0] = "l", [0x2113] = "l",
    };

    /// <summary>Scans <c>name</c>, <c>title</c>, <c>description</c> and every string inside <c>inputSchema</c> (property names included).</summary>
    public static IReadOnlyList<ToolTextFinding> Scan(JsonObject tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var findings = new List<ToolTextFinding>();
        foreach (var field in (ReadOnlySpan<string>)["name", "title", "description"])
        {
            if (McpsJson.GetString(tool, field) is { } text)
            {
                ScanText(field, text, identifier: field != "description", findings);
            }
        }

        if (tool["inputSchema"] is { } schema)
        {
            ScanNode("inputSchema", schema, findings);
        }

        return findings;
    }

    /// <summary>Scans one string. <paramref name="identifier"/> additionally reports mixed Latin/other-script letters.</summary>
    public static IReadOnlyList<ToolTextFinding> ScanText(string field, string text, bool identifier)
    {
        var findings = new List<ToolTextFinding>();
        ScanText(field, text, identifier, findings);
        return findings;
    }

    private static void ScanNode(string path, JsonNode node, List<ToolTextFinding> findings)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var childPath = path + "/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
                    ScanText(childPath, key, identifier: true, findings);
                    if (value is not null)
                    {
                        ScanNode(childPath, value, findings);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        ScanNode(path + "/" + i.ToString(CultureInfo.InvariantCulture), item, findings);
                    }
                }

                break;
            default:
                if (McpsJson.IsString(node))
                {
                    ScanText(path, node.GetValue<string>(), identifier: false, findings);
                }

                break;
        }
    }

    // In free text (descriptions, schema strings) a look-alike letter is reported only inside a word that also holds
    // Latin letters ("pаypal"): a word wholly in Cyrillic or Greek is ordinary text in that language. In identifiers
    // every look-alike is reported.
    private static void ScanText(string field, string text, bool identifier, List<ToolTextFinding> findings)
    {
        var hasLatin = false;
        var hasOtherScriptLetter = false;
        var wordHasLatin = false;
        var wordLookAlikes = new List<ToolTextFinding>();
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            var kind = Classify(rune, out var looksLike);
            var isWordPart = Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
            if (!isWordPart && kind is not ToolTextFindingKind.Homoglyph)
            {
                EndWord(findings, wordLookAlikes, ref wordHasLatin);
            }

            if (kind is ToolTextFindingKind.Homoglyph && !identifier)
            {
                wordLookAlikes.Add(new ToolTextFinding(field, ToolTextFindingKind.Homoglyph, index, $"U+{cp:X4}", looksLike));
            }
            else if (kind is { } k)
            {
                findings.Add(new ToolTextFinding(field, k, index, $"U+{cp:X4}", looksLike));
            }

            if (Rune.IsLetter(rune))
            {
                if (cp < 0x250 || (cp >= 0x1E00 && cp <= 0x1EFF))
                {
                    var latin = cp is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') || cp >= 0xC0;
                    hasLatin |= latin;
                    wordHasLatin |= latin && kind is null;
                }
                else
                {
                    hasOtherScriptLetter = true;
                }
            }

            index += rune.Utf16SequenceLength;
        }

        EndWord(findings, wordLookAlikes, ref wordHasLatin);

        if (identifier && hasLatin && hasOtherScriptLetter)
        {
            findings.Add(new ToolTextFinding(field, ToolTextFindingKind.MixedScript, 0, "", null));
        }
    }

    private static void EndWord(List<ToolTextFinding> findings, List<ToolTextFinding> wordLookAlikes, ref bool wordHasLatin)
    {
        if (wordHasLatin)
        {
            findings.AddRange(wordLookAlikes);
        }

        wordLookAlikes.Clear();
        wordHasLatin = false;
    }

    private static ToolTextFindingKind? Classify(Rune rune, out string? looksLike)
    {
        looksLike = null;
        var cp = rune.Value;
        if (cp is 0x200E or 0x200F or 0x061C or (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069))
        {
            return ToolTextFindingKind.BidiControl;
        }

        if (cp is 0x200B or 0x200C or 0x200D or 0x2060 or 0x2061 or 0x2062 or 0x2063 or 0x2064 or 0xFEFF or 0x00AD or 0x180E
            or 0x034F or 0x115F or 0x1160 or 0x3164 or 0xFFA0 or (>= 0xE0000 and <= 0xE007F) or (>= 0xFE00 and <= 0xFE0F))
        {
            return ToolTextFindingKind.Invisible;
        }

        if (LookAlikes.TryGetValue(cp, out var latin))
        {
            looksLike = latin;
            return ToolTextFindingKind.Homoglyph;
        }

        if (cp is >= 0xFF01 and <= 0xFF5E)
        {
            looksLike = ((char)(cp - 0xFEE0)).ToString();
            return ToolTextFindingKind.Homoglyph;
        }

        if (cp is >= 0x1D400 and <= 0x1D7FF)
        {
            return ToolTextFindingKind.Homoglyph;
        }

        var category = Rune.GetUnicodeCategory(rune);
        if (category == UnicodeCategory.Format || (category == UnicodeCategory.Control && cp is not ('\n' or '\r' or '\t')))
        {
            return ToolTextFindingKind.Control;
        }

        return null;
    }
}
