using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Json;
using BenchmarkDotNet.Attributes;

namespace AgentTrust.Bench;

/// <summary>
/// RFC 8785 canonicalisation of a ~1 KB MCP <c>tools/call</c> request (members out of order, whitespace, escapes,
/// non-ASCII, fractions), bytes in → bytes out and through <see cref="JsonNode"/>. Baseline: a plain
/// <see cref="Utf8JsonReader"/> pass over the same bytes (the cost of merely reading the JSON).
/// MB/s = 1,0xx bytes / mean time (the size is printed by <see cref="Setup"/>).
/// </summary>
[MemoryDiagnoser]
public class JcsBenchmarks
{
    private const string Message = """
        {
          "jsonrpc": "2.0",
          "method": "tools/call",
          "id": 42,
          "params": {
            "name": "search_flights",
            "arguments": {
              "origin": "ZRH",
              "destination": "SFO",
              "departure": "2026-03-14T09:30:00Z",
              "passengers": [
                { "type": "adult", "name": "Zoë Müller", "age": 41, "loyalty": { "programme": "M&M", "tier": "gold", "number": "992-114-55" } },
                { "type": "child", "name": "Léon Müller", "age": 7.5, "loyalty": null }
              ],
              "cabin": "premium_economy",
              "maxPrice": { "amount": 1249.95, "currency": "CHF" },
              "flexibleDays": 2,
              "notes": "window seat \u2014 if possible; \"quiet\" zone\nno red-eye",
              "filters": { "airlines": ["LX", "UA", "LH"], "maxStops": 1, "refundable": true, "co2PerKm": 0.000089 }
            },
            "_meta": {
              "progressToken": "c1a6a0c0-8f43-4d59-a1f6-0d3b8a4f6a11",
              "io.agenttrust/mcps": {
                "version": "1.0",
                "passport_id": "asp_4f1d2c9be07a43d1",
                "nonce": "8b6f1e2a9c3d4e5f60718293a4b5c6d7",
                "timestamp": "2026-01-15T12:00:00.000Z",
                "signature": "MEUCIQDx0o4G3l2n0m7pN7Xb6w9f2Qe8V0aHk3r6J1tXcY5gHwIgV2uE8m5Q4s7R9k1L3p6N0b2Y4c6T8a0W2e4D6f8H0j2="
              }
            }
          }
        }
        """;

    private readonly ArrayBufferWriter<byte> _output = new(2048);
    private byte[] _utf8 = [];
    private JsonNode? _node;

    [GlobalSetup]
    public void Setup()
    {
        _utf8 = System.Text.Encoding.UTF8.GetBytes(Message);
        _node = JsonNode.Parse(_utf8);
        Console.WriteLine($"// message: {_utf8.Length} bytes in, {JcsBytesToNewArray().Length} canonical bytes out");
    }

    [Benchmark(Baseline = true)]
    public int Utf8JsonReader_read_only()
    {
        var reader = new Utf8JsonReader(_utf8);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    [Benchmark]
    public int Jcs_bytes_to_buffer_writer()
    {
        _output.ResetWrittenCount();
        JsonCanonicalizer.TryCanonicalize(_utf8, _output, CanonicalJsonOptions.Strict, out _);
        return _output.WrittenCount;
    }

    [Benchmark]
    public byte[] JcsBytesToNewArray()
    {
        JsonCanonicalizer.TryCanonicalize(_utf8, CanonicalJsonOptions.Strict, out var canonical, out _);
        return canonical;
    }

    [Benchmark]
    public bool Jcs_validate_only() => JsonCanonicalizer.TryValidate(_utf8, CanonicalJsonOptions.Strict, out _);

    [Benchmark]
    public byte[] Jcs_parsed_JsonNode() => JsonCanonicalizer.Canonicalize(_node, CanonicalJsonOptions.Strict);

    [Benchmark]
    public byte[] Jcs_parse_to_JsonNode_then_canonicalise() => JsonCanonicalizer.Canonicalize(JsonNode.Parse(_utf8), CanonicalJsonOptions.Strict);
}
