using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Json.Canonical;

namespace AgentTrust.Json;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): member names sorted by UTF-16 code units, numbers printed with
/// ECMAScript <c>Number::toString</c>, the minimal JCS string escapes, UTF-8, no whitespace. Input is validated
/// strictly (mcps.md §2): invalid UTF-8, duplicate member names, lone surrogates and overflowing numbers are
/// rejected, never repaired; the number profile of <see cref="CanonicalJsonOptions.Numbers"/> may reject more.
/// </summary>
public static class JsonCanonicalizer
{
    /// <summary>
    /// Canonicalises UTF-8 JSON text. Bounds are checked first; the input is validated completely (UTF-8, grammar,
    /// duplicate members at any depth, lone surrogates, numbers per <see cref="CanonicalJsonOptions.Numbers"/>).
    /// Nothing is written unless the whole input is valid. Never throws on bad input.
    /// </summary>
    /// <param name="utf8Json">The JSON text (any value at the top level; no byte order mark).</param>
    /// <param name="output">Receives the canonical bytes.</param>
    /// <param name="options">Bounds and number profile; null for <see cref="CanonicalJsonOptions.Default"/>.</param>
    /// <param name="error">The rejection, when the result is false.</param>
    /// <returns>True and the canonical bytes written to <paramref name="output"/>; or false and the error.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The options hold a bound below 1 or above the hard cap.</exception>
    public static bool TryCanonicalize(ReadOnlySpan<byte> utf8Json, IBufferWriter<byte> output, CanonicalJsonOptions? options, out CanonicalJsonError? error)
    {
        ArgumentNullException.ThrowIfNull(output);
        options = Validate(options);
        return Run(utf8Json, output, options, out error);
    }

    /// <summary>Canonicalises UTF-8 JSON text into a new array, or returns the error. Never throws on bad input.</summary>
    /// <param name="utf8Json">The JSON text.</param>
    /// <param name="options">Bounds and number profile; null for <see cref="CanonicalJsonOptions.Default"/>.</param>
    /// <param name="canonical">The canonical bytes (empty when the result is false).</param>
    /// <param name="error">The rejection, when the result is false.</param>
    /// <returns>True when the input was canonicalised.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The options hold a bound below 1 or above the hard cap.</exception>
    public static bool TryCanonicalize(ReadOnlySpan<byte> utf8Json, CanonicalJsonOptions? options, out byte[] canonical, out CanonicalJsonError? error)
    {
        options = Validate(options);
        using var buffer = new PooledBufferWriter(utf8Json.Length + 16);
        if (!Run(utf8Json, buffer, options, out error))
        {
            canonical = [];
            return false;
        }

        canonical = buffer.ToArray();
        return true;
    }

    /// <summary>Validates UTF-8 JSON text against the same rules without producing output. Never throws on bad input.</summary>
    /// <param name="utf8Json">The JSON text.</param>
    /// <param name="options">Bounds and number profile; null for <see cref="CanonicalJsonOptions.Default"/>.</param>
    /// <param name="error">The rejection, when the result is false.</param>
    /// <returns>True when the input can be canonicalised.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The options hold a bound below 1 or above the hard cap.</exception>
    public static bool TryValidate(ReadOnlySpan<byte> utf8Json, CanonicalJsonOptions? options, out CanonicalJsonError? error)
    {
        options = Validate(options);
        error = JcsDocument.CheckBounds(utf8Json, options, out var deepest, out var maxTokens);
        if (error is not null)
        {
            return false;
        }

        var document = new JcsDocument(utf8Json, options);
        try
        {
            error = document.Parse(deepest, maxTokens) ?? document.SortMembers();
            return error is null;
        }
        finally
        {
            document.Dispose();
        }
    }

    /// <summary>
    /// Canonicalises an in-memory node (numbers backed by JSON text are treated as literals under the profile;
    /// CLR doubles must be finite; CLR integers and decimals are treated as the literal .NET writes for them).
    /// A null node is the literal <c>null</c>. <see cref="CanonicalJsonOptions.MaxDepth"/> applies.
    /// </summary>
    /// <param name="node">The node.</param>
    /// <param name="options">Bounds and number profile; null for <see cref="CanonicalJsonOptions.Default"/>.</param>
    /// <returns>The canonical UTF-8 bytes.</returns>
    /// <exception cref="CanonicalJsonException">The node holds something JCS cannot represent.</exception>
    public static byte[] Canonicalize(JsonNode? node, CanonicalJsonOptions? options = null)
    {
        options = Validate(options);
        using var buffer = new PooledBufferWriter(1024);
        JcsNodeWriter.Write(buffer, node, options);
        return buffer.ToArray();
    }

    /// <summary>As <see cref="Canonicalize(JsonNode?, CanonicalJsonOptions?)"/>, writing <paramref name="known"/>'s bytes where its node occurs.</summary>
    internal static byte[] Canonicalize(JsonNode? node, CanonicalJsonOptions options, KnownCanonical known)
    {
        options = Validate(options);
        using var buffer = new PooledBufferWriter(1024);
        JcsNodeWriter.Write(buffer, node, options, known);
        return buffer.ToArray();
    }

    /// <summary>Canonicalises a parsed element from its original JSON text (so duplicates and literals are seen as sent).</summary>
    /// <param name="element">The element.</param>
    /// <param name="options">Bounds and number profile; null for <see cref="CanonicalJsonOptions.Default"/>.</param>
    /// <returns>The canonical UTF-8 bytes.</returns>
    /// <exception cref="CanonicalJsonException">The element holds something JCS cannot represent.</exception>
    public static byte[] Canonicalize(JsonElement element, CanonicalJsonOptions? options = null)
    {
        options = Validate(options);
        using var buffer = new PooledBufferWriter(1024);
        if (!Run(JsonMarshal.GetRawUtf8Value(element), buffer, options, out var error))
        {
            throw new CanonicalJsonException(error!);
        }

        return buffer.ToArray();
    }

    /// <summary>Writes the ECMAScript <c>Number::toString</c> form of a finite double (RFC 8785 §3.2.2.3).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, e.g. <c>1e+21</c>, <c>0.000001</c>, <c>1e-7</c>, <c>5e-324</c>; <c>-0</c> prints as <c>0</c>.</returns>
    /// <exception cref="CanonicalJsonException">NaN or an infinity.</exception>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.NonFiniteNumber, "NaN and infinities have no JSON form"));
        }

        Span<byte> text = stackalloc byte[EcmaScriptNumberFormatter.MaxLength];
        var length = EcmaScriptNumberFormatter.Format(value, text);
        return System.Text.Encoding.ASCII.GetString(text[..length]);
    }

    /// <summary>The byte canonicaliser without option validation (used for text embedded in nodes too).</summary>
    internal static bool Run(ReadOnlySpan<byte> utf8Json, IBufferWriter<byte> output, CanonicalJsonOptions options, out CanonicalJsonError? error)
    {
        error = JcsDocument.CheckBounds(utf8Json, options, out var deepest, out var maxTokens);
        if (error is not null)
        {
            return false;
        }

        var document = new JcsDocument(utf8Json, options);
        try
        {
            error = document.Parse(deepest, maxTokens) ?? document.SortMembers();
            if (error is not null)
            {
                return false;
            }

            var cursor = new JcsOutput(output);
            document.WriteTo(ref cursor);
            cursor.Flush();
            return true;
        }
        finally
        {
            document.Dispose();
        }
    }

    private static CanonicalJsonOptions Validate(CanonicalJsonOptions? options)
    {
        options ??= CanonicalJsonOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxInputBytes, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxInputBytes, CanonicalJsonOptions.HardMaxInputBytes, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDepth, 1, nameof(options));
        return options;
    }
}
