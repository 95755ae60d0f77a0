using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Tests.Gateway.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The upstream (server-everything over Streamable HTTP) goes away in the middle of a session: each request gets the
/// gateway's own −32603 <c>upstream_unreachable</c>, and the failed request's id is free again, so a client retrying
/// it is not told it reused a pending id.
/// </summary>
public sealed class HttpGatewayUpstreamFailureTests
{
    [Fact]
    public async Task RequestRetriedAfterTheUpstreamFailed_GetsUpstreamUnreachableAgain_NotDuplicateId()
    {
        await using var peers = new HttpPeers();
        var server = await peers.StartServerEverythingAsync();
        var options = new GatewayOptions { Upstream = server, Listen = $"127.0.0.1:{HttpPeers.FreePort()}", DisablePins = true };
        await using var gateway = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, server.AbsoluteUri, null, null, null), options, NullLoggerFactory.Instance);
        var endpoint = new Uri(await gateway.StartAsync(), "/mcp");
        using var http = new HttpClient();
        using var initialized = await http.SendAsync(Post(endpoint, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""", null));
        var session = initialized.Headers.GetValues("Mcp-Session-Id").Single();
        await initialized.Content.ReadAsStringAsync();

        await peers.DisposeAsync();
        var first = await ErrorAsync(http, Post(endpoint, """{"jsonrpc":"2.0","id":5,"method":"tools/list"}""", session));
        var retried = await ErrorAsync(http, Post(endpoint, """{"jsonrpc":"2.0","id":5,"method":"tools/list"}""", session));

        Assert.Equal("upstream_unreachable", first["reason"]!.GetValue<string>());
        Assert.Equal("upstream_unreachable", retried["reason"]!.GetValue<string>());
    }

    private static async Task<JsonObject> ErrorAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(5, body["id"]!.GetValue<int>());
            return (JsonObject)body["error"]!["data"]!;
        }
    }

    private static HttpRequestMessage Post(Uri endpoint, string json, string? session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
            request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        }

        return request;
    }
}
