using AgentTrust.Gateway.Framing;

namespace AgentTrust.Tests.Gateway;

public sealed class JsonLineReaderTests
{
    private static async Task<List<LineReadResult>> ReadAllAsync(string input, int max)
    {
        await using var reader = new JsonLineReader(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(input)), max);
        var results = new List<LineReadResult>();
        while (true)
        {
            var result = await reader.ReadAsync();
            if (result.Kind == LineReadKind.End)
            {
                return results;
            }

            results.Add(result);
        }
    }

    [Fact]
    public async Task Lines_AreReadInOrder_WithoutNewlinesOrCarriageReturns_IncludingAFinalUnterminatedLine()
    {
        var results = await ReadAllAsync("{\"a\":1}\n{\"b\":2}\r\n{\"c\":3}", 100);

        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"], results.Select(r => System.Text.Encoding.UTF8.GetString(r.Line)));
    }

    [Fact]
    public async Task OversizedLine_IsReportedAndSkipped_AndTheNextLineIsRead()
    {
        var results = await ReadAllAsync(new string('x', 100_000) + "\n{\"ok\":true}\n", 1000);

        Assert.Equal([LineReadKind.TooLarge, LineReadKind.Line], results.Select(r => r.Kind));
        Assert.Equal("{\"ok\":true}", System.Text.Encoding.UTF8.GetString(results[1].Line));
    }

    [Fact]
    public async Task LineExactlyAtTheBound_IsAccepted_AndOneByteMoreIsNot()
    {
        var results = await ReadAllAsync(new string('a', 10) + "\n" + new string('b', 11) + "\n", 10);

        Assert.Equal([LineReadKind.Line, LineReadKind.TooLarge], results.Select(r => r.Kind));
    }
}
