// A real MCP client built with the official TypeScript SDK: connects over stdio to the command given as JSON in
// argv[2] (the gateway in front of a server), lists the tools, calls one, and prints one JSON object per step.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [command, ...args] = JSON.parse(process.argv[2]);
const call = JSON.parse(process.argv[3] ?? '{"name":"echo","arguments":{"message":"hello"}}');
const transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "inherit" });
const client = new Client({ name: "agenttrust-ts-test-client", version: "1.0.0" });
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
try {
  await client.connect(transport);
  out({ step: "connected", server: client.getServerVersion()?.name, protocolVersion: transport._protocolVersion ?? null, experimental: client.getServerCapabilities()?.experimental ?? null });
  const tools = await client.listTools();
  out({ step: "tools", names: tools.tools.map((t) => t.name) });
  try {
    const result = await client.callTool(call);
    out({ step: "call", result });
  } catch (e) {
    out({ step: "call", error: { code: e.code, message: e.message, data: e.data ?? null } });
  }
} catch (e) {
  out({ step: "failed", error: { code: e.code ?? null, message: String(e.message ?? e), data: e.data ?? null } });
} finally {
  await client.close();
}
