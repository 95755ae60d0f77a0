using AgentTrust.Gateway.Configuration;

namespace AgentTrust.Tests.Gateway;

public sealed class GatewayOptionsFileTests
{
    private static GatewayOptions Parse(string json) => GatewayOptionsFile.Parse(System.Text.Encoding.UTF8.GetBytes(json));

    [Fact]
    public void FullFile_IsRead_AndAbsentMembersKeepTheirDefaults()
    {
        var options = Parse("""
            {
              // comments and trailing commas are allowed
              "trustStore": "/etc/agenttrust/trust",
              "minTrust": 1,
              "tools": { "transfer": { "minTrust": 3, "requireAttestation": true }, "read": {} },
              "attestation": { "issuers": [ { "issuer": "https://issuer.test", "jwks": "/etc/agenttrust/issuer-jwks.json" } ], "audience": "https://gateway.test", "mode": "preferred" },
              "pins": "/var/lib/agenttrust/pins.json",
              "failurePolicy": "cached",
              "otlpEndpoint": "http://127.0.0.1:4318/v1/metrics",
            }
            """);

        Assert.Equal("/etc/agenttrust/trust", options.TrustStore);
        Assert.Equal(1, options.MinTrust);
        Assert.Equal(3, options.Tools["transfer"].MinTrust);
        Assert.True(options.Tools["transfer"].RequireAttestation);
        Assert.Equal("https://issuer.test", Assert.Single(options.Attestation.Issuers).Issuer);
        Assert.Equal("https://gateway.test", options.Attestation.Audience);
        Assert.Equal(AgentTrust.Attestation.AttestationPolicyMode.Preferred, options.Attestation.Mode);
        Assert.Null(options.Tools["read"].MinTrust);
        Assert.Equal(FailurePolicy.Cached, options.FailurePolicy);
        Assert.Equal(new Uri("http://127.0.0.1:4318/v1/metrics"), options.OtlpEndpoint);
        Assert.Equal(MessageLimitsDefaults.MaxMessageBytes, options.MaxMessageBytes);
        Assert.Equal(5, options.ShutdownTimeoutSeconds);
        Assert.True(options.RequiresVerification);
    }

    [Theory]
    [InlineData("""{"minTrsut": 2}""")]
    [InlineData("""{"minTrust": 5}""")]
    [InlineData("""{"tools": {"x": {"minTrust": -1}}}""")]
    [InlineData("""{"failurePolicy": "sometimes"}""")]
    [InlineData("""{"maxMessageBytes": 1}""")]
    [InlineData("""{"tools": {"x": {"requireAttestation": true}}}""")]
    [InlineData("""{"attestation": {"issuers": [{"issuer": "https://i.test", "jwks": "k.json"}]}}""")]
    [InlineData("""{"attestation": {"issuers": [{"issuer": "http://i.example", "jwks": "k.json"}], "audience": "a"}}""")]
    [InlineData("""{"attestation": {"issuers": [{"issuer": "https://i.test", "jwks": "k.json"}], "audience": "a", "mode": "sometimes"}}""")]
    [InlineData("""{"attestation": {"issuers": [{"issuer": "https://i.test", "jwks": "k.json"}], "audience": "a"}, "tools": {"x": {"requireAttestation": true, "attestationIssuers": ["https://other.test"]}}}""")]
    [InlineData("""[]""")]
    [InlineData("""{"otlpEndpoint": "ftp://collector.example/v1/metrics"}""")]
    [InlineData("""{"otlpEndpoint": "/v1/metrics"}""")]
    public void InvalidFile_IsRejected_NeverSilentlyWeakened(string json)
    {
        Assert.Throws<InvalidDataException>(() => Parse(json));
    }

    [Fact]
    public void EmptyFile_RequiresNoVerification()
    {
        Assert.False(Parse("{}").RequiresVerification);
    }

    private static class MessageLimitsDefaults
    {
        public const int MaxMessageBytes = 4 * 1024 * 1024;
    }
}
