using System.Text.Json;
using AgentTrust.Json;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Tests.Mcps;

/// <summary>
/// The structural scanner of canonical text against a full JSON reader: every member of every object, every value's
/// end, every string, on canonical text with the characters that could fool a bracket matcher.
/// </summary>
public class CanonicalSpliceTests
{
    public static TheoryData<string> Documents => new()
    {
        """{"a":1,"b":{"c":[1,2,{"d":"}"}],"e":"]\"{"},"f":"\\","g":"\\\"}","h":[],"i":{},"j":true,"k":false,"l":null,"m":-1.5e-7}""",
        """{"_meta":{"io.agenttrust/mcps":{"nonce":"n","signature":"a+/="},"io.agenttrust/passport":{"agent":{"capabilities":[]}},"x":"\u0001\n\t"},"name":"e"}""",
        """{"\"q":1,"\\":2,"\u0000":3,"a\"b":"\"","z":{"}":"{","]":"["},"ü":"é","😀":[["]]"]]}""",
        """{"params":{"_meta":{},"arguments":{"a":[{"b":[{"c":"[{\"}]"}]}]}},"method":"m","id":"1"}""",
        """{"":"","a":[[[[[]]]]],"b":[{},{},{"":{}}],"c":"\\\\\\\"","d":0}""",
        // Escapes around the end of the first 16 bytes of a string, and long strings with escapes and brackets.
        """{"a":"0123456789abcd\"}","b":"0123456789abcde\"]","c":"0123456789abcdef\\","d":"0123456789abcdefghijklmnopqrstuvwxyz\"{[0123456789\\\\","e":{"f":"0123456789abcdefghij\"}"}}""",
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_member_of_every_object_is_found_where_a_json_reader_finds_it(string json)
    {
        Assert.True(JsonCanonicalizer.TryCanonicalize(System.Text.Encoding.UTF8.GetBytes(json), CanonicalJsonOptions.Default, out var canonical, out _));
        var objects = ReferenceObjects(canonical);
        Assert.NotEmpty(objects);
        foreach (var (objectStart, members) in objects)
        {
            var names = members.Select(m => m.Name).Where(n => n.All(c => c is >= ' ' and < (char)0x7f and not '"' and not '\\')).ToArray();
            var found = new CanonicalSplice.MemberInfo[names.Length];
            Assert.True(CanonicalSplice.ScanObject(canonical, objectStart, names, found));
            var strings = new string?[names.Length];
            Assert.True(CanonicalSplice.ReadStringMembers(canonical, objectStart, names, strings));
            for (var i = 0; i < names.Length; i++)
            {
                var expected = members.Single(m => m.Name == names[i]);
                Assert.Equal((true, expected.ValueStart, expected.ValueEnd, expected.Type), (found[i].Found, found[i].ValueStart, found[i].ValueEnd, found[i].Type));
                Assert.Equal(expected.Text, strings[i]);
            }

            foreach (var member in members)
            {
                Assert.Equal(member.ValueEnd, CanonicalSplice.SkipValue(canonical, member.ValueStart));
            }
        }

        // Paths from the root, as the preimage uses them.
        foreach (var member in objects[0].Members.Where(m => m.Name.All(char.IsAsciiLetterOrDigit) || m.Name == "_meta"))
        {
            Assert.True(CanonicalSplice.TryFindMember(canonical, [member.Name], out var start, out var end));
            Assert.Equal((member.NameStart, member.ValueEnd), (start, end));
        }

        Assert.False(CanonicalSplice.TryFindMember(canonical, ["absent"], out _, out _));
    }

    [Fact]
    public void A_name_missing_on_the_path_or_a_step_that_is_not_an_object_finds_nothing()
    {
        var canonical = System.Text.Encoding.UTF8.GetBytes("""{"a":{"b":[1]},"c":"x"}""");
        Assert.True(CanonicalSplice.TryFindMember(canonical, ["a", "b"], out var start, out var end));
        Assert.Equal("\"b\":[1]", System.Text.Encoding.UTF8.GetString(canonical[start..end]));
        Assert.False(CanonicalSplice.TryFindMember(canonical, ["c", "b"], out _, out _));
        Assert.False(CanonicalSplice.TryFindMember(canonical, ["a", "b", "c"], out _, out _));
        Assert.False(CanonicalSplice.TryFindMember(canonical, ["a", "x"], out _, out _));
    }

    [Fact]
    public void Text_that_is_not_json_is_refused_with_an_exception_not_misread()
    {
        var truncated = System.Text.Encoding.UTF8.GetBytes("""{"a":"unterminated""");
        Assert.Throws<FormatException>(() => CanonicalSplice.ScanObject(truncated, 0, ["a", "b"], new CanonicalSplice.MemberInfo[2]));
    }

    private sealed record Member(string Name, int NameStart, int ValueStart, int ValueEnd, JsonTokenType Type, string? Text);

    // Every object of the document (by start offset) with its members, read by Utf8JsonReader.
    private static List<(int Start, List<Member> Members)> ReferenceObjects(byte[] canonical)
    {
        var result = new List<(int, List<Member>)>();
        var reader = new Utf8JsonReader(canonical);
        reader.Read();
        Walk(ref reader, canonical, result);
        return result;
    }

    private static void Walk(ref Utf8JsonReader reader, byte[] canonical, List<(int, List<Member>)> result)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                Walk(ref reader, canonical, result);
            }

            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        var members = new List<Member>();
        result.Add(((int)reader.TokenStartIndex, members));
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var nameStart = (int)reader.TokenStartIndex;
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            var type = reader.TokenType;
            var text = type == JsonTokenType.String ? reader.GetString() : null;
            var copy = reader;
            copy.Skip();
            var valueEnd = (int)copy.BytesConsumed;
            members.Add(new Member(name, nameStart, valueStart, valueEnd, type, text));
            Walk(ref reader, canonical, result);
        }
    }
}
