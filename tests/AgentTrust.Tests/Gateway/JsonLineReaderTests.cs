using AgentTrust.Gateway.Framing;

namespace AgentTrust.Tests.Gateway;

public sealed class JsonLineReaderTests
{
    private static async Task<List<LineReadResult>> ReadAllAsync(string input, int max)
    {
        var reader = new JsonLineReader(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(input)), max);
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

    // The pumps read with the blocking Read; a pipe hands over whatever is there, so lines arrive in pieces.
    private static List<LineReadResult> ReadAllBlocking(byte[] input, int max, int chunk)
    {
        var reader = new JsonLineReader(new ChunkedStream(input, chunk), max);
        var results = new List<LineReadResult>();
        while (reader.Read() is { Kind: not LineReadKind.End } result)
        {
            results.Add(result);
        }

        return results;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void BlockingRead_FramesLikeReadAsync_WhateverPiecesTheLinesArriveIn(int chunk)
    {
        var input = System.Text.Encoding.UTF8.GetBytes("{\"a\":1}\n" + new string('x', 50) + "\n{\"b\":2}\r\n\n{\"c\":3}");

        var results = ReadAllBlocking(input, 20, chunk);

        Assert.Equal([LineReadKind.Line, LineReadKind.TooLarge, LineReadKind.Line, LineReadKind.Line, LineReadKind.Line], results.Select(r => r.Kind));
        Assert.Equal(["{\"a\":1}", "", "{\"b\":2}", "", "{\"c\":3}"], results.Select(r => System.Text.Encoding.UTF8.GetString(r.Line)));
    }

    [Fact]
    public void ALineLongerThanTheReadBuffer_ButWithinTheBound_IsReadWhole()
    {
        var line = new string('y', 300_000);
        var input = System.Text.Encoding.UTF8.GetBytes(line + "\n" + "{}" + "\n");

        var results = ReadAllBlocking(input, 1_000_000, 1000);

        Assert.Equal([LineReadKind.Line, LineReadKind.Line], results.Select(r => r.Kind));
        Assert.Equal(line, System.Text.Encoding.UTF8.GetString(results[0].Line));
    }

    [Fact]
    public void AnOversizedLineLongerThanTheReadBuffer_IsReportedOnce_AndTheNextLineIsRead()
    {
        var input = System.Text.Encoding.UTF8.GetBytes(new string('z', 5_000_000) + "\n{}\n");

        var results = ReadAllBlocking(input, 100_000, 64 * 1024);

        Assert.Equal([LineReadKind.TooLarge, LineReadKind.Line], results.Select(r => r.Kind));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(64 * 1024)]
    public void AnOversizedLastLineWithoutNewline_IsOneTooLarge_ItsTailIsNeverALine(int chunk)
    {
        var input = System.Text.Encoding.UTF8.GetBytes(new string('x', 50) + "{\"jsonrpc\":\"2.0\",\"id\":1}");

        var results = ReadAllBlocking(input, 30, chunk);

        Assert.Equal([LineReadKind.TooLarge], results.Select(r => r.Kind));
    }

    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
