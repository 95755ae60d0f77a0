using System.Text.Json;
using AgentTrust.Jose;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Jose;

public sealed class JwtClaimsValidatorTests
{
    private const long T = 1_767_225_600;
    private const int Skew = 30;

    private static JsonElement Claims(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static JwtClaimsValidator At(long nowSeconds, int extraMs = 0, string? audience = "https://srv", TimeSpan? maxLifetime = null) => new(new JwtValidationOptions
    {
        TrustedIssuers = ["https://iss.example"],
        Audience = audience,
        ClockSkew = TimeSpan.FromSeconds(Skew),
        MaxLifetime = maxLifetime ?? TimeSpan.FromSeconds(900),
        TimeProvider = ManualTimeProvider.AtUnixMilliseconds((nowSeconds * 1000) + extraMs),
    });

    private static string Token(long iat, long exp, long? nbf = null, string aud = "\"https://srv\"", string iss = "https://iss.example") =>
        $"{{\"iss\":\"{iss}\",\"aud\":{aud},\"iat\":{iat},\"exp\":{exp}{(nbf is null ? "" : $",\"nbf\":{nbf}")}}}";

    // exp: accepted while now < exp + S.
    [Theory]
    [InlineData(T + 300 + Skew - 1, 0, JwtClaimStatus.Valid)]
    [InlineData(T + 300 + Skew - 1, 999, JwtClaimStatus.Valid)]
    [InlineData(T + 300 + Skew, 0, JwtClaimStatus.Expired)]
    [InlineData(T + 300 + Skew + 1, 0, JwtClaimStatus.Expired)]
    public void Exp_boundary_uses_the_skew(long now, int extraMs, JwtClaimStatus expected) =>
        Assert.Equal(expected, At(now, extraMs).Validate(Claims(Token(T, T + 300))).Status);

    // nbf: accepted while nbf ≤ now + S.
    [Theory]
    [InlineData(T + 100 - Skew, 0, JwtClaimStatus.Valid)]
    [InlineData(T + 100 - Skew - 1, 999, JwtClaimStatus.NotYetValid)]
    [InlineData(T + 100 - Skew - 1, 0, JwtClaimStatus.NotYetValid)]
    public void Nbf_boundary_uses_the_same_skew(long now, int extraMs, JwtClaimStatus expected) =>
        Assert.Equal(expected, At(now, extraMs).Validate(Claims(Token(T, T + 300, nbf: T + 100))).Status);

    // iat: accepted while iat ≤ now + S.
    [Theory]
    [InlineData(T - Skew, JwtClaimStatus.Valid)]
    [InlineData(T - Skew - 1, JwtClaimStatus.IssuedInFuture)]
    public void Iat_in_the_future_beyond_the_skew_is_rejected(long now, JwtClaimStatus expected) =>
        Assert.Equal(expected, At(now).Validate(Claims(Token(T, T + 300))).Status);

    [Theory]
    [InlineData(900, JwtClaimStatus.Valid)]
    [InlineData(901, JwtClaimStatus.LifetimeTooLong)]
    [InlineData(86_400, JwtClaimStatus.LifetimeTooLong)]
    public void Maximum_lifetime(long lifetime, JwtClaimStatus expected) =>
        Assert.Equal(expected, At(T + 10).Validate(Claims(Token(T, T + lifetime))).Status);

    [Fact]
    public void Exp_not_after_iat_and_nbf_after_exp_are_bad_claims()
    {
        Assert.Equal(JwtClaimStatus.BadClaim, At(T).Validate(Claims(Token(T, T))).Status);
        Assert.Equal(JwtClaimStatus.BadClaim, At(T).Validate(Claims(Token(T, T + 10, nbf: T + 11))).Status);
    }

    [Theory]
    [InlineData("\"1767225600\"")]
    [InlineData("1767225600.5")]
    [InlineData("1.7672256e9")]
    [InlineData("-1")]
    [InlineData("9007199254740992")]
    [InlineData("null")]
    public void Non_integer_times_are_bad_claims(string iat) =>
        Assert.Equal(JwtClaimStatus.BadClaim, At(T).Validate(Claims($"{{\"iss\":\"https://iss.example\",\"aud\":\"https://srv\",\"iat\":{iat},\"exp\":{T + 300}}}")).Status);

    [Fact]
    public void Missing_exp_or_iat_is_rejected()
    {
        Assert.Equal(JwtClaimStatus.MissingClaim, At(T).Validate(Claims("{\"iss\":\"https://iss.example\",\"aud\":\"https://srv\",\"iat\":1767225600}")).Status);
        Assert.Equal(JwtClaimStatus.MissingClaim, At(T).Validate(Claims("{\"iss\":\"https://iss.example\",\"aud\":\"https://srv\",\"exp\":1767225900}")).Status);
    }

    [Theory]
    [InlineData("\"https://srv\"", JwtClaimStatus.Valid)]
    [InlineData("[\"https://other\",\"https://srv\"]", JwtClaimStatus.Valid)]
    [InlineData("\"https://srv/\"", JwtClaimStatus.AudienceMismatch)]
    [InlineData("\"HTTPS://SRV\"", JwtClaimStatus.AudienceMismatch)]
    [InlineData("[\"https://other\"]", JwtClaimStatus.AudienceMismatch)]
    [InlineData("[]", JwtClaimStatus.BadClaim)]
    [InlineData("[\"https://srv\",1]", JwtClaimStatus.BadClaim)]
    [InlineData("7", JwtClaimStatus.BadClaim)]
    public void Audience_string_or_array(string aud, JwtClaimStatus expected) =>
        Assert.Equal(expected, At(T).Validate(Claims(Token(T, T + 300, aud: aud))).Status);

    [Fact]
    public void Audience_is_mandatory_when_configured_and_ignored_otherwise()
    {
        var noAud = Claims($"{{\"iss\":\"https://iss.example\",\"iat\":{T},\"exp\":{T + 300}}}");
        Assert.Equal(JwtClaimStatus.MissingClaim, At(T).Validate(noAud).Status);
        Assert.Equal(JwtClaimStatus.Valid, At(T, audience: null).Validate(noAud).Status);
    }

    [Theory]
    [InlineData("https://iss.example", JwtClaimStatus.Valid)]
    [InlineData("https://iss.example/", JwtClaimStatus.UntrustedIssuer)]
    [InlineData("https://ISS.example", JwtClaimStatus.UntrustedIssuer)]
    [InlineData("https://iss.examp1e", JwtClaimStatus.UntrustedIssuer)]
    public void Issuer_allow_list_is_byte_exact(string iss, JwtClaimStatus expected) =>
        Assert.Equal(expected, At(T).Validate(Claims(Token(T, T + 300, iss: iss))).Status);

    [Fact]
    public void Issuer_must_be_a_string_and_present()
    {
        Assert.Equal(JwtClaimStatus.MissingClaim, At(T).Validate(Claims($"{{\"aud\":\"https://srv\",\"iat\":{T},\"exp\":{T + 300}}}")).Status);
        Assert.Equal(JwtClaimStatus.BadClaim, At(T).Validate(Claims($"{{\"iss\":[\"https://iss.example\"],\"aud\":\"https://srv\",\"iat\":{T},\"exp\":{T + 300}}}")).Status);
    }

    [Fact]
    public void Zero_skew_is_exact()
    {
        var v = new JwtClaimsValidator(new JwtValidationOptions { ClockSkew = TimeSpan.Zero, TimeProvider = ManualTimeProvider.AtUnixSeconds(T + 300) });
        Assert.Equal(JwtClaimStatus.Expired, v.Validate(Claims(Token(T, T + 300))).Status);
        var before = new JwtClaimsValidator(new JwtValidationOptions { ClockSkew = TimeSpan.Zero, TimeProvider = ManualTimeProvider.AtUnixMilliseconds(((T + 300) * 1000) - 1) });
        Assert.Equal(JwtClaimStatus.Valid, before.Validate(Claims(Token(T, T + 300))).Status);
    }
}
