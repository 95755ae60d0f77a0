using System.Text;
using System.Text.Json;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// <c>--config FILE.yaml</c>: the YAML form reads into exactly the options of the JSON form (one contract, one
/// validator), and every YAML feature that could make a file read differently than it looks is refused.
/// </summary>
public sealed class GatewayYamlConfigurationTests
{
    private const string FullJson = """
        {
          "trustStore": "/etc/agenttrust/trust",
          "authority": "https://ta.example/",
          "authorityName": "corp-ta",
          "minTrust": 1,
          "tools": {
            "transfer": { "minTrust": 3, "requireAttestation": true, "attestationIssuers": ["https://issuer.test"] },
            "read": {},
            "delete.all": { "minTrust": 4 }
          },
          "attestation": { "issuers": [ { "issuer": "https://issuer.test", "jwks": "/etc/agenttrust/issuer-jwks.json" } ], "audience": "https://gateway.test", "mode": "preferred" },
          "pins": "/var/lib/agenttrust/pins.json",
          "strictPins": true,
          "disablePins": false,
          "auditDir": "/var/log/agenttrust",
          "replayStore": "memory",
          "failurePolicy": "cached",
          "key": "gateway",
          "passport": "/etc/agenttrust/gateway.passport.json",
          "maxMessageBytes": 65536,
          "maxDepth": 40,
          "shutdownTimeoutSeconds": 2.5,
          "upstream": "http://127.0.0.1:3001/mcp",
          "listen": "127.0.0.1:8080",
          "allowedHosts": ["gw.example:8080"],
          "allowedOrigins": ["https://app.example"]
        }
        """;

    private const string FullYaml = """
        # the same configuration as YAML
        trustStore: /etc/agenttrust/trust
        authority: https://ta.example/
        authorityName: corp-ta
        minTrust: 1
        tools:
          transfer:
            minTrust: 3
            requireAttestation: true
            attestationIssuers: [https://issuer.test]
          read: {}
          "delete.all":
            minTrust: 4
        attestation:
          issuers:
            - issuer: https://issuer.test
              jwks: /etc/agenttrust/issuer-jwks.json
          audience: https://gateway.test
          mode: preferred
        pins: /var/lib/agenttrust/pins.json
        strictPins: true
        disablePins: false
        auditDir: /var/log/agenttrust
        replayStore: memory
        failurePolicy: cached
        key: gateway
        passport: /etc/agenttrust/gateway.passport.json
        maxMessageBytes: 65536
        maxDepth: 40
        shutdownTimeoutSeconds: 2.5
        upstream: http://127.0.0.1:3001/mcp
        listen: 127.0.0.1:8080
        allowedHosts:
          - gw.example:8080
        allowedOrigins: ["https://app.example"]
        """;

    private static GatewayOptions Yaml(string yaml) => GatewayOptionsFile.ParseYaml(System.Text.Encoding.UTF8.GetBytes(yaml));

    // Every member, nested rules included, as data: two option sets are the same configuration when this is equal.
    private static string Describe(GatewayOptions options) => JsonSerializer.Serialize(options);

    [Fact]
    public void FullConfiguration_AsJsonAndAsYaml_GivesIdenticalOptions()
    {
        var fromJson = GatewayOptionsFile.Parse(System.Text.Encoding.UTF8.GetBytes(FullJson));
        var fromYaml = Yaml(FullYaml);

        Assert.Equal(Describe(fromJson), Describe(fromYaml));
        Assert.Equal(3, fromYaml.Tools["transfer"].MinTrust);
        Assert.True(fromYaml.Tools["transfer"].RequireAttestation);
        Assert.Equal(4, fromYaml.Tools["delete.all"].MinTrust);
        Assert.True(fromYaml.StrictPins);
        Assert.Equal(FailurePolicy.Cached, fromYaml.FailurePolicy);
    }

    [Fact]
    public void YamlFile_IsChosenByItsExtension_AndReadThroughLoad()
    {
        using var scratch = new ScratchDirectory();
        foreach (var name in new[] { "gw.yaml", "gw.YML" })
        {
            var path = scratch.File(name);
            File.WriteAllText(path, "minTrust: 2\ntools:\n  transfer:\n    minTrust: 4\n");

            var options = GatewayOptionsFile.Load(path);

            Assert.Equal(2, options.MinTrust);
            Assert.Equal(4, options.Tools["transfer"].MinTrust);
        }
    }

    [Theory]
    // YAML 1.1 booleans are text here: a boolean member given one is refused instead of silently becoming true.
    [InlineData("strictPins: yes")]
    [InlineData("strictPins: on")]
    [InlineData("strictPins: True")]
    [InlineData("tools:\n  transfer:\n    requireAttestation: y")]
    // Quoted scalars are always text.
    [InlineData("minTrust: \"3\"")]
    [InlineData("strictPins: \"true\"")]
    // Anchors and aliases (alias bombs; a value changed in two places at once), merge keys.
    [InlineData("a: &x [1, 2]\nb: *x")]
    [InlineData("tools:\n  read: &rule {minTrust: 0}\n  transfer: *rule")]
    [InlineData("tools:\n  transfer:\n    <<: {minTrust: 4}")]
    // Tags.
    [InlineData("minTrust: !!int 3")]
    [InlineData("key: !secret gateway")]
    // Duplicate keys, at the top and nested: the second must never silently win.
    [InlineData("minTrust: 4\nminTrust: 0")]
    [InlineData("tools:\n  transfer:\n    minTrust: 4\n    minTrust: 0")]
    [InlineData("tools:\n  transfer: {minTrust: 4}\n  transfer: {minTrust: 0}")]
    // More than one document.
    [InlineData("minTrust: 4\n---\nminTrust: 0")]
    // Unknown members, wrong types, out-of-range values, the wrong root.
    [InlineData("minTrsut: 2")]
    [InlineData("tools:\n  transfer:\n    minTrust: 3\n    requireAttestaton: true")]
    [InlineData("minTrust: 5")]
    [InlineData("minTrust: two")]
    [InlineData("minTrust: 99999999999999999999999")]
    [InlineData("failurePolicy: sometimes")]
    [InlineData("- minTrust: 2")]
    [InlineData("just text")]
    [InlineData("")]
    // Complex keys, broken syntax.
    [InlineData("? [a, b]\n: 1")]
    [InlineData("minTrust: [1\n")]
    public void HostileOrAmbiguousYaml_IsRefused(string yaml)
    {
        Assert.Throws<InvalidDataException>(() => Yaml(yaml));
    }

    [Fact]
    public void AliasBomb_IsRefusedAtTheFirstAlias_WithoutExpandingAnything()
    {
        var bomb = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 12; i++)
        {
            bomb.Append(System.Globalization.CultureInfo.InvariantCulture, $"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        var error = Assert.Throws<InvalidDataException>(() => Yaml(bomb.ToString()));

        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooDeepOrTooLarge_IsRefusedBeforeBuildingIt()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100));
        Assert.Throws<InvalidDataException>(() => Yaml("tools: " + deep));

        var large = "# " + new string('x', GatewayOptionsFile.MaxBytes) + "\nminTrust: 1\n";
        Assert.Throws<InvalidDataException>(() => Yaml(large));
        using var scratch = new ScratchDirectory();
        File.WriteAllText(scratch.File("big.yaml"), large);
        Assert.Throws<InvalidDataException>(() => GatewayOptionsFile.Load(scratch.File("big.yaml")));
    }

    [Fact]
    public void Errors_NameTheLine()
    {
        var duplicate = Assert.Throws<InvalidDataException>(() => Yaml("minTrust: 1\ntools:\n  transfer:\n    minTrust: 4\n    minTrust: 0\n"));
        var wrongType = Assert.Throws<InvalidDataException>(() => Yaml("minTrust: 1\n\nstrictPins: yes\n"));
        var nestedType = Assert.Throws<InvalidDataException>(() => Yaml("tools:\n  transfer:\n    minTrust: high\n"));

        Assert.Contains("line 5", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", nestedType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonForm_RefusesDuplicateMembersToo()
    {
        Assert.Throws<InvalidDataException>(() => GatewayOptionsFile.Parse("""{"minTrust": 4, "minTrust": 0}"""u8));
        Assert.Throws<InvalidDataException>(() => GatewayOptionsFile.Parse("""{"tools": {"transfer": {"minTrust": 4}, "transfer": {"minTrust": 0}}}"""u8));
    }

    [Fact]
    public void NullsAndEmptyValues_KeepTheDefaults_AsInJson()
    {
        var options = Yaml("minTrust: ~\npins:\ntools:\n  read:\n");

        Assert.Equal(0, options.MinTrust);
        Assert.Null(options.Pins);
    }
}
