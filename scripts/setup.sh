#!/usr/bin/env bash
# Installs what AgentTrust needs on a fresh Debian/Ubuntu machine. Idempotent: installs only what is missing.
#   - libsodium23 (Ed25519, Argon2id, XChaCha20-Poly1305)
#   - PostgreSQL server binaries (initdb, pg_ctl) for the tests that start a real PostgreSQL
#   - an unprivileged user for PostgreSQL when running as root (initdb refuses to run as root)
#   - Node.js/npm and the gateway tests' MCP peers (npm ci, pinned by package-lock.json)
set -euo pipefail

need_apt=()

if ! ldconfig -p 2>/dev/null | grep -q 'libsodium\.so\.2[0-9]'; then
  need_apt+=(libsodium23)
fi

if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi

# Node.js and npm run the real MCP peers of the gateway tests (official TypeScript SDK, server-everything).
if ! command -v npm >/dev/null 2>&1; then
  need_apt+=(nodejs npm)
fi

if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${need_apt[*]} (run as root, or: sudo apt-get install ${need_apt[*]})" >&2
    exit 3
  fi
  echo "setup: installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# PostgreSQL refuses to run as root; the test fixture runs it as this user.
if [ "$(id -u)" -eq 0 ] && ! id agenttrust-pg >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin agenttrust-pg
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dot.net)" >&2
  exit 3
fi

# Real MCP peers for the gateway tests (official TypeScript SDK and server-everything), pinned by package-lock.json.
gateway_peers="$(dirname "$0")/../tests/AgentTrust.Tests/Gateway/node"
if [ -f "$gateway_peers/package-lock.json" ] && [ ! -d "$gateway_peers/node_modules" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm (Node.js >= 18) is required for the gateway tests' MCP peers" >&2
    exit 3
  fi
  echo "setup: installing the gateway tests' MCP peers (npm ci)" >&2
  (cd "$gateway_peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
