// The official MCP TypeScript SDK client (Streamable HTTP) through `mandate mcp-proxy --listen`
// to the unmodified @modelcontextprotocol/server-everything, compared with a direct connection.
// Usage: node mcp_http_test.js MANDATE_BIN
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { startFakeAuthority } = require('./fake_authority.js');
const { newAgent } = require('./agent.js');

const bin = process.argv[2];
const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function startProcess(cmd, args, env, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const logs = [];
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${logs.join('')}`)), 20000);
    const look = (d) => {
      logs.push(String(d));
      const m = logs.join('').match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, logs, match: m }); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${logs.join('')}`)));
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-mcph-'));
  const epToken = 'ep-' + Math.random().toString(36).slice(2);
  const epFile = path.join(dir, 'ep.token');
  fs.writeFileSync(epFile, epToken, { mode: 0o600 });
  const policy = { everything: { echo: { forbid_arg_substring: 'forbidden' }, 'get-sum': {} } };
  const authority = await startFakeAuthority({ epToken, adminToken: 'admin', policy });
  const port = await freePort();
  const server = await startProcess('node', [everything, 'streamableHttp'], { PORT: String(port) }, /listening on port/);
  const upstream = `http://127.0.0.1:${port}/mcp`;
  const proxy = await startProcess(bin, ['mcp-proxy', '--authority', authority.url, '--ep-token-file', epFile,
    '--system', 'everything', '--listen', '127.0.0.1:0', '--upstream', upstream], {},
  /mcp-proxy listening on (http:\/\/[0-9.]+:\d+)/);
  const proxyUrl = proxy.match[1] + '/mcp';

  const agent = await newAgent();
  const task = await authority.mintTask(agent.jkt);
  // The agent's fetch: its task token and a fresh DPoP proof on every request.
  const agentFetch = async (url, init = {}) => {
    const headers = new Headers(init.headers || {});
    headers.set('authorization', 'DPoP ' + task.token);
    headers.set('dpop', await agent.proof(init.method || 'GET', String(url), task.token));
    return fetch(url, { ...init, headers });
  };
  const direct = new Client({ name: 'direct', version: '1.0.0' });
  await direct.connect(new StreamableHTTPClientTransport(new URL(upstream)));
  const proxied = new Client({ name: 'proxied', version: '1.0.0' });
  await proxied.connect(new StreamableHTTPClientTransport(new URL(proxyUrl), { fetch: agentFetch }));
  try {
    const all = (await direct.listTools()).tools;
    const shown = (await proxied.listTools()).tools;
    assert.deepEqual(shown.map((t) => t.name).sort(), ['echo', 'get-sum']);
    for (const t of shown) assert.deepEqual(t, all.find((d) => d.name === t.name));
    console.log(`tools/list: ${shown.length} of ${all.length} tools shown`);

    for (const call of [{ name: 'echo', arguments: { message: 'hello' } }, { name: 'get-sum', arguments: { a: 2, b: 40 } }]) {
      assert.deepEqual(await proxied.callTool(call), await direct.callTool(call));
    }
    console.log('allowed calls: identical to direct');

    await assert.rejects(proxied.callTool({ name: 'get-env', arguments: {} }), (e) => e.code === -32602);
    const refused = await proxied.callTool({ name: 'echo', arguments: { message: 'forbidden words' } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /policy\.forbid/);
    console.log('unknown tool -32602; refused call isError with reason');

    // Raw requests: a batch, and a 2026-07-28 stateless request whose headers lie about the body.
    async function raw(body, extra = {}) {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
        authorization: 'DPoP ' + task.token, dpop: await agent.proof('POST', proxyUrl, task.token), ...extra };
      const r = await fetch(proxyUrl, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: r.status, json: await r.json() };
    }
    const batch = await raw([{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get-env', arguments: {} } }]);
    assert.equal(batch.json[0].error.code, -32600);
    const lying = await raw({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get-env', arguments: {} } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
    assert.equal(lying.status, 400);
    assert.equal(lying.json.error.code, -32001);
    const stateless = await raw({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get-env', arguments: {} } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get-env' });
    assert.equal(stateless.json.error.code, -32602);
    console.log('batch refused; 2026-07-28 header/body mismatch 400 -32001; stateless call governed');

    await authority.revokeTask(task.taskId);
    const after = await proxied.callTool({ name: 'echo', arguments: { message: 'again' } });
    assert.equal(after.isError, true);
    assert.match(after.content[0].text, /revocation/);
    console.log('revoked task: next call refused');
  } finally {
    await proxied.close().catch(() => {});
    await direct.close().catch(() => {});
    proxy.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    authority.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log('mcp http: ok');
}

main().catch((e) => { console.error(e); process.exit(1); });
