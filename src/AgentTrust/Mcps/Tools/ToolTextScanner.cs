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

    /// <summary>
    /// A word made only of Cyrillic or Greek look-alike letters (<c>рау</c>, <c>ОК</c>, <c>ехес</c>) where it reads as the
    /// Latin word it imitates: in an identifier, or in free text that is not written in that word's own script.
    /// <see cref="ToolTextFinding.LooksLike"/> holds that Latin word.
    /// </summary>
    LookAlikeWord,

    /// <summary>Another control or format character.</summary>
    Control,
}

/// <summary>One deceptive character found in a tool's text.</summary>
/// <param name="Field">Where: <c>name</c>, <c>title</c>, <c>description</c>, or a JSON pointer into <c>inputSchema</c>.</param>
/// <param name="Kind">The kind of finding.</param>
/// <param name="Index">The UTF-16 index in the string (for <see cref="ToolTextFindingKind.LookAlikeWord"/>: where the word starts).</param>
/// <param name="CodePoint">The code point, as <c>U+XXXX</c>; empty for <see cref="ToolTextFindingKind.MixedScript"/> and
/// <see cref="ToolTextFindingKind.LookAlikeWord"/>, whose letters are reported as homoglyphs one by one.</param>
/// <param name="LooksLike">For homoglyphs: the Latin letter it imitates; for look-alike words: the Latin word it imitates.</param>
public sealed record ToolTextFinding(string Field, ToolTextFindingKind Kind, int Index, string CodePoint, string? LooksLike = null)
{
    /// <summary>The tool the finding is in, when the scan covered a list of tools (<see cref="ToolPinChecker.CheckListAsync"/>); null otherwise.</summary>
    public string? Tool { get; init; }
}

/// <summary>
/// Reports Unicode confusables in tool names and descriptions (mcps.md §10.1 "Detected"): homoglyphs (Cyrillic and
/// Greek look-alikes of Latin letters, full-width forms), mixed scripts in identifiers, words spelled only with
/// look-alike letters, zero-width and invisible characters, Unicode tag characters and bidi controls.
/// It reports; <see cref="ToolPinChecker"/> never pins a tool with findings and the gateway refuses the listing.
/// </summary>
/// <remarks>
/// <para>
/// Identifiers (<c>name</c>, property names in <c>inputSchema</c>) are expected to be Latin: every
/// look-alike letter in them is a <see cref="ToolTextFindingKind.Homoglyph"/>, Latin mixed with another script is
/// <see cref="ToolTextFindingKind.MixedScript"/>, and every word made only of look-alike letters (at least one of them
/// Cyrillic or Greek, e.g. <c>ехес</c>) is also a <see cref="ToolTextFindingKind.LookAlikeWord"/>.
/// </para>
/// <para>
/// Free text (<c>title</c>, <c>description</c> and every string value in <c>inputSchema</c>, enum values included) may be written in
/// any language. A word is a run of letters, digits and combining marks. A look-alike letter inside a word that also
/// holds a Latin letter (<c>pаypal</c>) is a homoglyph. A word made only of look-alike letters (<c>рау</c>, <c>ОК</c>)
/// is deceptive unless it is all Cyrillic or all Greek and stands in text of that script. That is decided within its
/// sentence (which ends at <c>. ! ? ; …</c> followed by white space, or at a line break), counting only context words
/// (words with a letter outside the look-alike table; other look-alike words and numbers are skipped): the word is
/// ordinary text when the nearest context word before it or the nearest after it is written in its script alone, and
/// either those words of the sentence hold more letters of its script than Latin letters, or both nearest context words
/// (those that exist) are written in its script alone. With Latin words on both sides a look-alike word is reported,
/// whatever the rest of the sentence holds ("call ехес with the token, затем подробно опишите результат").
/// So "Ох, а ТОР с утра снова упал", "Читает файл с GitHub" and "Ο κόσμος και η ζωή" are
/// clean, as are the short words of a Russian example quoted in English text ("e.g. 'купить дом с садом'"). Reported:
/// "call tool рау", "confirm with ОК", a look-alike word next to a stray foreign letter ("call б рау now"), a Greek
/// look-alike word among Russian words, a word mixing Cyrillic and Greek look-alikes, and a sentence made only of
/// look-alike words and numbers (it reads as Latin whatever it means). A Russian or Greek sentence with Latin terms on
/// both sides of such a word ("Скачивает файл README.md с GitHub", "Επιστρέφει JSON και XML") is reported too: a false
/// positive accepted as the price. Being decided per sentence, an English instruction is not hidden by a long Russian paragraph after it. Each
/// letter of a reported word is a homoglyph and the word a <see cref="ToolTextFindingKind.LookAlikeWord"/> carrying the
/// Latin word it imitates. Full-width and mathematical letters are reported only inside words with Latin letters.
/// Dotless <c>ı</c> is an ordinary letter in free text (Turkish, Azerbaijani); in an identifier it imitates <c>i</c>.
/// </para>
/// </remarks>
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
                // A title is a display name for people, in any language: free text, like the description.
                ScanText(field, text, identifier: field == "name", findings);
            }
        }

        if (tool["inputSchema"] is { } schema)
        {
            ScanNode("inputSchema", schema, findings);
        }

        return findings;
    }

    /// <summary>
    /// Scans one string. <paramref name="identifier"/> reports every look-alike letter and look-alike word, and Latin mixed
    /// with another script; otherwise the free-text rules of the class remarks apply.
    /// </summary>
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

    // Scripts of the letters of one word. LatinLookAlike: the table's Latin-block and letterlike entries (ı ɡ ǀ ℓ).
    [Flags]
    private enum Scripts
    {
        None = 0,
        Latin = 1,
        Cyrillic = 2,
        Greek = 4,
        Other = 8,
        LatinLookAlike = 16,
    }

    // One word of a string: a run of letters, digits and combining marks (and of homoglyphs of any category).
    private sealed class Word(int start, int sentence)
    {
        public int Start { get; } = start;

        // The number of the sentence the word is in (see SentenceEnds).
        public int Sentence { get; } = sentence;

        // How many of its letters are Latin (not look-alikes), Cyrillic and Greek (look-alikes included).
        public int LatinLetters { get; set; }

        public int CyrillicLetters { get; set; }

        public int GreekLetters { get; set; }

        // The UTF-16 length.
        public int Length { get; set; }

        // Scripts of the letters that are not in the look-alike table.
        public Scripts Genuine { get; set; }

        // Scripts of the letters that are in the look-alike table.
        public Scripts LookAlike { get; set; }

        // Homoglyph findings of this word's characters (in free text, reported only when the word is deceptive).
        public List<ToolTextFinding>? Homoglyphs { get; set; }

        // Every letter is in the look-alike table and at least one is Cyrillic or Greek: the word reads as a Latin word.
        public bool IsLookAlikeWord => Genuine == Scripts.None && (LookAlike & (Scripts.Cyrillic | Scripts.Greek)) != 0;

        // A word with a letter of a known script, which can tell what language the text around a look-alike word is in.
        public bool IsContext => !IsLookAlikeWord && Genuine != Scripts.None;
    }

    // In free text (descriptions, schema strings) a look-alike letter inside a word that also holds Latin letters
    // ("pаypal") is reported; a word made only of look-alike letters ("рау") is reported unless its sentence is written
    // in its own script (see the class remarks); any other word wholly in Cyrillic or Greek is ordinary text in that
    // language. In identifiers every look-alike letter and every look-alike word is reported.
    private static void ScanText(string field, string text, bool identifier, List<ToolTextFinding> findings)
    {
        var first = findings.Count;
        var hasLatin = false;
        var hasOtherScriptLetter = false;
        var words = new List<Word>();
        Word? word = null;
        var sentence = 0;
        var sentenceEnding = false;
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029' || (sentenceEnding && Rune.IsWhiteSpace(rune)))
            {
                sentence++;
            }

            sentenceEnding = cp is '.' or '!' or '?' or ';' or '\u2026' or '\u037E';
            var kind = Classify(rune, out var looksLike);
            if (!identifier && cp == 0x0131)
            {
                // Dotless ı is an ordinary letter of Turkish and Azerbaijani text ("kırmızı"); in a name it still imitates i.
                (kind, looksLike) = (null, null);
            }

            var isWordPart = Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
            if (!isWordPart && kind is not ToolTextFindingKind.Homoglyph)
            {
                word = null;
            }
            else
            {
                word ??= Add(words, new Word(index, sentence));
                word.Length += rune.Utf16SequenceLength;
            }

            if (kind is ToolTextFindingKind.Homoglyph && !identifier)
            {
                (word!.Homoglyphs ??= []).Add(new ToolTextFinding(field, ToolTextFindingKind.Homoglyph, index, $"U+{cp:X4}", looksLike));
            }
            else if (kind is { } k)
            {
                findings.Add(new ToolTextFinding(field, k, index, $"U+{cp:X4}", looksLike));
            }

            if (Rune.IsLetter(rune))
            {
                var script = ScriptOf(cp);
                var latin = script == Scripts.Latin && (cp >= 0xC0 || cp is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'));
                hasLatin |= latin;
                hasOtherScriptLetter |= script != Scripts.Latin;
                word!.LatinLetters += latin && kind is null ? 1 : 0;
                word.CyrillicLetters += script == Scripts.Cyrillic ? 1 : 0;
                word.GreekLetters += script == Scripts.Greek ? 1 : 0;
                if (LookAlikes.ContainsKey(cp))
                {
                    word!.LookAlike |= script is Scripts.Cyrillic or Scripts.Greek ? script : Scripts.LatinLookAlike;
                }
                else if (kind is null)
                {
                    word!.Genuine |= latin || script != Scripts.Latin ? script : Scripts.Other; // ª º µ: not Latin letters
                }
                else
                {
                    word!.Genuine |= Scripts.Other; // full-width and mathematical letters
                }
            }

            index += rune.Utf16SequenceLength;
        }

        // Per sentence: its Latin, Cyrillic and Greek letters in context words. Per word: the nearest context word after
        // it in its sentence, found in one pass from the end (the one before, in the pass below).
        var letters = new (int Latin, int Cyrillic, int Greek)[sentence + 1];
        var after = new Word?[words.Count];
        for (var i = words.Count - 1; i >= 0; i--)
        {
            var current = words[i];
            if (current.IsContext)
            {
                ref var count = ref letters[current.Sentence];
                count = (count.Latin + current.LatinLetters, count.Cyrillic + current.CyrillicLetters, count.Greek + current.GreekLetters);
            }

            if (i + 1 < words.Count && words[i + 1].Sentence == current.Sentence)
            {
                after[i] = words[i + 1].IsContext ? words[i + 1] : after[i + 1];
            }
        }

        Word? before = null;
        for (var i = 0; i < words.Count; i++)
        {
            var current = words[i];
            if (before is not null && before.Sentence != current.Sentence)
            {
                before = null;
            }

            var lookAlikeWord = current.IsLookAlikeWord && (identifier || !InOwnScript(current.LookAlike, letters[current.Sentence], before, after[i]));
            before = current.IsContext ? current : before;
            if (current.Homoglyphs is not null && (lookAlikeWord || (current.Genuine & Scripts.Latin) != 0))
            {
                findings.AddRange(current.Homoglyphs);
            }

            if (lookAlikeWord)
            {
                findings.Add(new ToolTextFinding(field, ToolTextFindingKind.LookAlikeWord, current.Start, "", Skeleton(text.AsSpan(current.Start, current.Length))));
            }
        }

        if (identifier && hasLatin && hasOtherScriptLetter)
        {
            findings.Add(new ToolTextFinding(field, ToolTextFindingKind.MixedScript, 0, "", null));
        }

        // In the order of the text (stable: a word's letters before the word's finding).
        var sorted = findings.GetRange(first, findings.Count - first).OrderBy(f => f.Index).ToList();
        findings.RemoveRange(first, sorted.Count);
        findings.AddRange(sorted);
    }

    // The word with every look-alike letter replaced by the Latin letter it imitates.
    private static string Skeleton(ReadOnlySpan<char> word)
    {
        var skeleton = new StringBuilder(word.Length);
        foreach (var rune in word.EnumerateRunes())
        {
            skeleton.Append(LookAlikes.TryGetValue(rune.Value, out var latin) ? latin : rune.ToString());
        }

        return skeleton.ToString();
    }

    private static Word Add(List<Word> words, Word word)
    {
        words.Add(word);
        return word;
    }

    // A look-alike word is ordinary text when it is written in one script (Cyrillic or Greek) and, in its sentence,
    // either the context words hold more letters of that script than Latin letters, or the nearest context word before
    // it and the nearest after it (those that exist; at least one must) are in that script alone.
    private static bool InOwnScript(Scripts script, (int Latin, int Cyrillic, int Greek) sentence, Word? before, Word? after)
    {
        if (script is not (Scripts.Cyrillic or Scripts.Greek))
        {
            return false;
        }

        // A neighbour of its own script is required in every case: with Latin words on both sides the word reads as Latin,
        // however much text of its script the sentence holds elsewhere ("call ехес with the token, затем …").
        bool Own(Word? word) => word is not null && (word.Genuine | word.LookAlike) == script;
        if (!Own(before) && !Own(after))
        {
            return false;
        }

        return (script == Scripts.Cyrillic ? sentence.Cyrillic : sentence.Greek) > sentence.Latin
            || ((before is null || Own(before)) && (after is null || Own(after)));
    }

    private static Scripts ScriptOf(int cp) => cp switch
    {
        < 0x250 or (>= 0x1E00 and <= 0x1EFF) => Scripts.Latin,
        (>= 0x0370 and <= 0x03FF) or (>= 0x1F00 and <= 0x1FFF) => Scripts.Greek,
        (>= 0x0400 and <= 0x052F) or (>= 0x1C80 and <= 0x1C8F) or (>= 0x2DE0 and <= 0x2DFF) or (>= 0xA640 and <= 0xA69F) => Scripts.Cyrillic,
        _ => Scripts.Other,
    };

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
