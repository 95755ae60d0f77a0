using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentTrust.Json;

namespace AgentTrust.Audit;

/// <summary>
/// The Signet record line and chain rule (receipts.md §7.2):
/// <c>{"receipt":…,"prev_hash":"sha256:…","record_hash":"sha256:…"}\n</c> with
/// <c>record_hash = sha256(JCS({"prev_hash":prev_hash,"receipt":receipt}))</c>.
/// </summary>
internal static class AuditRecordFormat
{
    /// <summary>The <c>prev_hash</c> of the first record.</summary>
    public const string Genesis = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Length of a <c>sha256:</c> hash tag.</summary>
    public const int HashTagLength = 71;

    private static ReadOnlySpan<byte> HashPrefix => "{\"prev_hash\":\""u8;
    private static ReadOnlySpan<byte> HashMiddle => "\",\"receipt\":"u8;
    private static ReadOnlySpan<byte> LinePrefix => "{\"receipt\":"u8;
    private static ReadOnlySpan<byte> LinePrev => ",\"prev_hash\":\""u8;
    private static ReadOnlySpan<byte> LineRecord => "\",\"record_hash\":\""u8;
    private static ReadOnlySpan<byte> LineEnd => "\"}\n"u8;

    /// <summary>Computes <c>record_hash</c> from the previous hash and the canonical receipt bytes (no re-canonicalisation).</summary>
    public static string ComputeRecordHash(string prevHash, ReadOnlySpan<byte> canonicalReceipt)
    {
        Span<byte> digest = stackalloc byte[32];
        HashCanonical(prevHash, canonicalReceipt, digest);
        return "sha256:" + Convert.ToHexStringLower(digest);
    }

    /// <summary>Hashes <c>{"prev_hash":prev,"receipt":receipt}</c> (keys already in JCS order).</summary>
    public static void HashCanonical(string prevHash, ReadOnlySpan<byte> canonicalReceipt, Span<byte> digest)
    {
        // One contiguous preimage and a one-shot hash: no hash object per record.
        var length = HashPrefix.Length + prevHash.Length + HashMiddle.Length + canonicalReceipt.Length + 1;
        byte[]? rented = null;
        var buffer = length <= 2048 ? stackalloc byte[2048] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var at = 0;
            HashPrefix.CopyTo(buffer);
            at += HashPrefix.Length;
            at += System.Text.Encoding.ASCII.GetBytes(prevHash, buffer[at..]);
            HashMiddle.CopyTo(buffer[at..]);
            at += HashMiddle.Length;
            canonicalReceipt.CopyTo(buffer[at..]);
            at += canonicalReceipt.Length;
            buffer[at++] = (byte)'}';
            SHA256.HashData(buffer[..at], digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>True when <paramref name="stated"/> (ASCII bytes of <c>sha256:hex</c>) equals the digest.</summary>
    public static bool Matches(ReadOnlySpan<byte> stated, ReadOnlySpan<byte> digest)
    {
        if (stated.Length != HashTagLength || !stated.StartsWith("sha256:"u8))
        {
            return false;
        }

        Span<byte> hex = stackalloc byte[64];
        for (var i = 0; i < 32; i++)
        {
            hex[2 * i] = HexDigit(digest[i] >> 4);
            hex[(2 * i) + 1] = HexDigit(digest[i] & 0xF);
        }

        return stated[7..].SequenceEqual(hex);
    }

    /// <summary>Writes one record line (with its newline).</summary>
    public static void WriteLine(IBufferWriter<byte> output, ReadOnlySpan<byte> canonicalReceipt, string prevHash, string recordHash)
    {
        output.Write(LinePrefix);
        output.Write(canonicalReceipt);
        output.Write(LinePrev);
        WriteAscii(output, prevHash);
        output.Write(LineRecord);
        WriteAscii(output, recordHash);
        output.Write(LineEnd);
    }

    /// <summary>
    /// Splits a record line into the raw receipt bytes, <c>prev_hash</c> and <c>record_hash</c>. Returns null on success,
    /// else a reason. Record-level members other than these three are listed in <paramref name="extra"/> (unsigned).
    /// </summary>
    public static string? TryParseLine(ReadOnlySpan<byte> line, out Range receipt, out string? prevHash, out string? recordHash, out bool extra)
    {
        receipt = default;
        prevHash = null;
        recordHash = null;
        extra = false;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "unparsable";
            }

            var seenReceipt = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("receipt"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject || seenReceipt)
                    {
                        return "unparsable";
                    }

                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    receipt = start..(int)reader.BytesConsumed;
                    seenReceipt = true;
                }
                else if (reader.ValueTextEquals("prev_hash"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || prevHash is not null)
                    {
                        return "unparsable";
                    }

                    prevHash = reader.GetString();
                }
                else if (reader.ValueTextEquals("record_hash"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || recordHash is not null)
                    {
                        return "unparsable";
                    }

                    recordHash = reader.GetString();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                    extra = true;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return "unparsable";
            }

            return seenReceipt && prevHash is not null && recordHash is not null ? null : "unparsable";
        }
        catch (JsonException)
        {
            return "unparsable";
        }
    }

    /// <summary>
    /// Checks a record's hash: the stored bytes are tried first (AgentTrust writes the receipt as its JCS), then their
    /// canonical form (Signet writes serde output). Returns null when it matches, else the reason, with the recomputed hash.
    /// </summary>
    public static string? CheckRecordHash(ReadOnlySpan<byte> rawReceipt, string prevHash, string recordHash, out string recomputed)
    {
        Span<byte> digest = stackalloc byte[32];
        Span<byte> stated = stackalloc byte[HashTagLength];
        var statedLength = recordHash.Length == HashTagLength ? System.Text.Encoding.ASCII.GetBytes(recordHash, stated) : 0;
        if (!JsonCanonicalizer.TryValidate(rawReceipt, CanonicalJsonOptions.Strict, out var error))
        {
            recomputed = "";
            return error!.Reason;
        }

        HashCanonical(prevHash, rawReceipt, digest);
        if (Matches(stated[..statedLength], digest))
        {
            recomputed = recordHash;
            return null;
        }

        if (!JsonCanonicalizer.TryCanonicalize(rawReceipt, CanonicalJsonOptions.Strict, out var canonical, out error))
        {
            recomputed = "";
            return error!.Reason;
        }

        HashCanonical(prevHash, canonical, digest);
        recomputed = "sha256:" + Convert.ToHexStringLower(digest);
        return Matches(stated[..statedLength], digest) ? null : "record_hash_mismatch";
    }

    /// <summary>
    /// Classifies the bytes after the last newline of a log file. A crash mid-append can only leave a strict prefix of a
    /// record line (the writer writes whole lines and acknowledges after fsync), so bytes that still form an incomplete
    /// JSON object are a torn write. A complete JSON value, or bytes that no record line can start with, are not a torn
    /// write: they are a record (to be checked like any other) or garbage.
    /// </summary>
    public static UnterminatedLine ClassifyUnterminated(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes[0] != (byte)'{')
        {
            return UnterminatedLine.NotARecordPrefix;
        }

        try
        {
            var reader = new Utf8JsonReader(bytes, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.EndObject)
                {
                    return UnterminatedLine.Complete;
                }
            }

            return UnterminatedLine.TornPrefix;
        }
        catch (JsonException)
        {
            return UnterminatedLine.NotARecordPrefix;
        }
    }

    private static void WriteAscii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        var n = System.Text.Encoding.ASCII.GetBytes(text, span);
        output.Advance(n);
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);
}

/// <summary>What the bytes after a file's last newline are (see <see cref="AuditRecordFormat.ClassifyUnterminated"/>).</summary>
internal enum UnterminatedLine
{
    /// <summary>An incomplete JSON object: a write cut short by a crash.</summary>
    TornPrefix,

    /// <summary>A complete JSON value without its newline: checked as a record, never discarded.</summary>
    Complete,

    /// <summary>Bytes no record line starts with: corruption.</summary>
    NotARecordPrefix,
}
