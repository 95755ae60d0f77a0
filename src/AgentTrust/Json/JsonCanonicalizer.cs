using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentTrust.Json;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme. CONTRACT ONLY: the implementation lands with the JCS work item.
/// </summary>
public static class JsonCanonicalizer
{
    /// <summary>
    /// Canonicalises UTF-8 JSON text. Bounds are checked first; the input is validated completely (UTF-8, grammar,
    /// duplicate members at any depth, lone surrogates, numbers per <see cref="CanonicalJsonOptions.Numbers"/>).
    /// Never throws on bad input.
    /// </summary>
    /// <returns>True and the canonical bytes written to <paramref name="output"/>; or false and the error.</returns>
    public static bool TryCanonicalize(ReadOnlySpan<byte> utf8Json, IBufferWriter<byte> output, CanonicalJsonOptions? options, out CanonicalJsonError? error)
        => throw new NotImplementedException();

    /// <summary>Canonicalises UTF-8 JSON text into a new array, or returns the error. Never throws on bad input.</summary>
    public static bool TryCanonicalize(ReadOnlySpan<byte> utf8Json, CanonicalJsonOptions? options, out byte[] canonical, out CanonicalJsonError? error)
        => throw new NotImplementedException();

    /// <summary>Validates UTF-8 JSON text against the same rules without producing output. Never throws on bad input.</summary>
    public static bool TryValidate(ReadOnlySpan<byte> utf8Json, CanonicalJsonOptions? options, out CanonicalJsonError? error)
        => throw new NotImplementedException();

    /// <summary>
    /// Canonicalises an in-memory node (numbers backed by JSON text are treated as literals under the profile;
    /// CLR doubles must be finite). A null node is the literal <c>null</c>.
    /// </summary>
    /// <exception cref="CanonicalJsonException">The node holds something JCS cannot represent.</exception>
    public static byte[] Canonicalize(JsonNode? node, CanonicalJsonOptions? options = null)
        => throw new NotImplementedException();

    /// <summary>Canonicalises a parsed element.</summary>
    /// <exception cref="CanonicalJsonException">The element holds something JCS cannot represent.</exception>
    public static byte[] Canonicalize(JsonElement element, CanonicalJsonOptions? options = null)
        => throw new NotImplementedException();

    /// <summary>Writes the ECMAScript <c>Number::toString</c> form of a finite double (RFC 8785 §3.2.2.3).</summary>
    /// <exception cref="CanonicalJsonException">NaN or an infinity.</exception>
    public static string FormatNumber(double value)
        => throw new NotImplementedException();
}
