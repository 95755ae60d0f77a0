using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Tests.Mcps;

/// <summary>
/// <see cref="McpsSignOptions.Passport"/>: the signer prepares the passport's JSON and canonical form once; the signed
/// messages must be exactly those signed with <see cref="McpsSignOptions.EmbeddedPassport"/>.
/// </summary>
public class McpsSignPreparedPassportTests
{
    // Everything before the container is the same bytes (the container is written last; its nonce differs).
    private static string BeforeContainer(string signed) => signed[..signed.IndexOf("\"io.agenttrust/mcps\"", StringComparison.Ordinal)];

    [Theory]
    [MemberData(nameof(McpsSignVerifyTests.Messages), MemberType = typeof(McpsSignVerifyTests))]
    public async Task A_prepared_passport_signs_the_same_message_as_the_embedded_object(string json, EnvelopePlacement placement)
    {
        using var world = new McpsWorld();
        var options = new McpsSignOptions { Placement = placement, ReplyTo = new string('a', 64) };
        var embedded = world.Signer.Sign(JsonNode.Parse(json)!.AsObject(), options with { EmbeddedPassport = world.Passport.ToJsonObject() }).ToJsonString();
        var preparedObject = world.Signer.Sign(JsonNode.Parse(json)!.AsObject(), options with { Passport = world.Passport });
        var prepared = preparedObject.ToJsonString();
        if (embedded.Contains("\"io.agenttrust/mcps\"", StringComparison.Ordinal))
        {
            Assert.Equal(BeforeContainer(embedded), BeforeContainer(prepared));
        }
        else
        {
            // No room for P2 (top-level container): nothing is embedded either way, only the containers differ.
            Assert.Equal(embedded[..embedded.IndexOf("\"mcps\"", StringComparison.Ordinal)], prepared[..prepared.IndexOf("\"mcps\"", StringComparison.Ordinal)]);
        }

        // Signed twice more with the prepared form (the second from the signer's kept form): each verifies.
        foreach (var message in new[] { prepared, world.Signer.Sign(JsonNode.Parse(json)!.AsObject(), options with { Passport = world.Passport }).ToJsonString() })
        {
            var result = await world.Verifier(resolver: new DictionaryResolver().Add(world.Passport)).VerifyAsync(System.Text.Encoding.UTF8.GetBytes(message));
            Assert.True(result.IsValid, result.Reason);
        }
    }

    [Fact]
    public void Another_passport_is_embedded_as_given_not_the_one_prepared_before()
    {
        using var world = new McpsWorld();
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var other = PassportIssuer.Issue(new PassportRequest { PublicKey = world.AgentKey.PublicKey, AgentName = "renamed", Capabilities = ["tools/call"] },
            world.TaKey, PassportIssuerIdentity.Anchor("test-ta"), 2, world.Clock);
        JsonNode? Embedded(AgentPassport passport) =>
            world.Signer.Sign(JsonNode.Parse("""{"jsonrpc":"2.0","id":1,"method":"x","params":{}}""")!.AsObject(), new McpsSignOptions { Passport = passport })["params"]!["_meta"]!["io.agenttrust/passport"];
        Assert.Equal("agent", Embedded(world.Passport)!["agent"]!["name"]!.GetValue<string>());
        Assert.Equal("renamed", Embedded(other)!["agent"]!["name"]!.GetValue<string>());
        Assert.Equal("agent", Embedded(world.Passport)!["agent"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Both_passport_options_at_once_are_refused()
    {
        using var world = new McpsWorld();
        var options = new McpsSignOptions { Passport = world.Passport, EmbeddedPassport = world.Passport.ToJsonObject() };
        Assert.Throws<ArgumentException>(() => world.Signer.Sign(JsonNode.Parse("""{"jsonrpc":"2.0","id":1,"method":"x"}""")!.AsObject(), options));
    }
}
