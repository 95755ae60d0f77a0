// A real MCP server built with the official TypeScript SDK, for the gateway tests. It records every JSON-RPC message
// it receives (one JSON line per message) in the file named by RECEIVED_LOG, so a test can prove that a refused
// message never reached the server. Environment:
//   RECEIVED_LOG      file to append received messages to (required)
//   TOOL_DESCRIPTION  description of the tool "changeable" (lets a test change a definition between two runs)
//   IGNORE_EOF=1      keep running after stdin closes (tests the gateway's kill-after-timeout)
//   STDERR_NOISE=1    write to stderr continuously (tests that the relayed stderr and the gateway's log share stderr safely)
import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const log = process.env.RECEIVED_LOG;
const server = new McpServer({ name: "recording-server", version: "1.0.0" });

server.registerTool("echo", { description: "Echoes the text", inputSchema: { text: z.string() } },
  async ({ text }) => ({ content: [{ type: "text", text }] }));

server.registerTool("changeable", { description: process.env.TOOL_DESCRIPTION ?? "first description", inputSchema: { text: z.string() } },
  async ({ text }) => ({ content: [{ type: "text", text: `changeable: ${text}` }] }));

server.registerTool("exit", { description: "Exits the server process with the given code", inputSchema: { code: z.number().int() } },
  async ({ code }) => { setTimeout(() => process.exit(code), 10); return { content: [{ type: "text", text: "bye" }] }; });

const transport = new StdioServerTransport();
await server.connect(transport);
const deliver = transport.onmessage;
transport.onmessage = (message, extra) => {
  if (log) appendFileSync(log, JSON.stringify(message) + "\n");
  deliver?.(message, extra);
};
process.stderr.write("recording-server: ready\n");
if (process.env.STDERR_NOISE === "1") {
  setInterval(() => { for (let i = 0; i < 5; i++) process.stderr.write("recording-server: noise\n"); }, 1);
}
if (process.env.IGNORE_EOF === "1") {
  process.stdin.on("end", () => process.stderr.write("recording-server: stdin closed, staying alive\n"));
  setInterval(() => {}, 1000);
}
