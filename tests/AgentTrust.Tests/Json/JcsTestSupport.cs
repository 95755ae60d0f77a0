using System.Text;
using AgentTrust.Json;

namespace AgentTrust.Tests.Json;

/// <summary>Small helpers shared by the canonical JSON tests.</summary>
internal static class JcsTestSupport
{
    public static byte[] Canonical(string json, CanonicalJsonOptions? options = null) => Canonical(System.Text.Encoding.UTF8.GetBytes(json), options);

    public static byte[] Canonical(byte[] utf8, CanonicalJsonOptions? options = null)
    {
        var ok = JsonCanonicalizer.TryCanonicalize(utf8, options, out var canonical, out var error);
        Assert.True(ok, error?.ToString());
        Assert.Null(error);
        return canonical;
    }

    public static string CanonicalText(string json, CanonicalJsonOptions? options = null) => System.Text.Encoding.UTF8.GetString(Canonical(json, options));

    public static CanonicalJsonError Rejection(byte[] utf8, CanonicalJsonOptions? options = null)
    {
        var ok = JsonCanonicalizer.TryCanonicalize(utf8, options, out var canonical, out var error);
        Assert.False(ok);
        Assert.Empty(canonical);
        Assert.NotNull(error);

        // The validator and the buffer-writer overload agree, and the writer receives nothing.
        Assert.False(JsonCanonicalizer.TryValidate(utf8, options, out var validationError));
        Assert.Equal(error.Code, validationError!.Code);
        Assert.Equal(error.Reason, validationError.Reason);
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.False(JsonCanonicalizer.TryCanonicalize(utf8, writer, options, out _));
        Assert.Equal(0, writer.WrittenCount);
        return error;
    }

    public static CanonicalJsonError Rejection(string json, CanonicalJsonOptions? options = null) => Rejection(System.Text.Encoding.UTF8.GetBytes(json), options);
}
