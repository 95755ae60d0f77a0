using System.Text.Json;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Cryptography;

/// <summary>One Wycheproof test case with its group, looked up by tcId.</summary>
internal sealed record WycheproofCase(int TcId, string Comment, string Result, string[] Flags, JsonElement Test, JsonElement Group)
{
    public byte[] Hex(string member) => Convert.FromHexString(Test.GetProperty(member).GetString()!);

    public bool IsValid => Result == "valid";
}

/// <summary>A Wycheproof vector file, read once from ../shared/vectors/wycheproof.</summary>
internal sealed class WycheproofFile
{
    private static readonly Dictionary<string, WycheproofFile> Cache = [];
    private static readonly Lock Gate = new();

    private readonly Dictionary<int, WycheproofCase> _cases = [];

    private WycheproofFile(string fileName)
    {
        using var document = JsonDocument.Parse(SharedFiles.ReadBytes("vectors", "wycheproof", fileName));
        var root = document.RootElement.Clone();
        foreach (var group in root.GetProperty("testGroups").EnumerateArray())
        {
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var id = test.GetProperty("tcId").GetInt32();
                var flags = test.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!).ToArray();
                _cases.Add(id, new WycheproofCase(id, test.GetProperty("comment").GetString() ?? "", test.GetProperty("result").GetString()!, flags, test, group));
            }
        }
    }

    public IEnumerable<WycheproofCase> Cases => _cases.Values;

    public static WycheproofFile Load(string fileName)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(fileName, out var file))
            {
                file = new WycheproofFile(fileName);
                Cache.Add(fileName, file);
            }

            return file;
        }
    }

    public WycheproofCase this[int tcId] => _cases[tcId];

    /// <summary>Theory data: one row per tcId, named "tcId comment".</summary>
    public static TheoryData<int, string> Ids(string fileName)
    {
        var data = new TheoryData<int, string>();
        foreach (var c in Load(fileName).Cases)
        {
            data.Add(c.TcId, $"{c.Result}: {c.Comment}");
        }

        return data;
    }
}
