// The official MCP TypeScript SDK client (Streamable HTTP, protocol 2025-11-25) through
// `mandate mcp-proxy --listen` to the unmodified @modelcontextprotocol/server-everything,
// compared with a direct connection, deciding with the real authority (`mandate serve`). Then
// raw 2026-07-28 stateless requests (no initialize, no session; `MCP-Protocol-Version`,
// `Mcp-Method`, `Mcp-Name` headers and `_meta` per request), compared with the same requests
// sent directly.
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
const { startRealAuthority } = require('./real_authority.js');
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

const SPIFFE_ID = 'spiffe://example.org/agents/helper';
const MANDATE = `
name: mcp-helper
version: 1.0.0
owner: security@example.com
description: echo messages and add numbers with the everything server, nothing else
agents:
  - spiffe_id: ${SPIFFE_ID}
systems:
  - name: everything
    kind: mcp
    audience: mcp://everything
    upstream: http://127.0.0.1/mcp
steps:
  - id: echo
    system: everything
    actions: echo
    resources: "**"
    args: {message: string}
    guard: '!(context.args.message like "*forbidden*")'
    max_calls: 20
  - id: sum
    system: everything
    actions: get-sum
    resources: "**"
    max_calls: 20
limits:
  deadline: 10m
# The test goes on after its refusals, so a deviation denies without revoking the task.
on_deviation: deny
`;

// `sealed`: held step credentials for this system are sealed (HS256), and the proxy
// authenticates with an enforcement-point token scoped to its audience
// (docs/design/sealed-step-credentials.md): forwarding, audit and the revocation stream work with
// it, and it fetches the sealing keys. `signed`: the same with Ed25519 (EdDSA) step credentials,
// which the proxy verifies against the authority's published keys.
async function run(mode) {
  console.log(`-- held step credentials ${mode}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-mcph-'));
  const authority = await startRealAuthority(bin, dir, { mandates: { 'mcp-helper.yaml': MANDATE },
    extraArgs: mode === 'sealed' ? ['--seal-step-credentials', 'mcp://everything'] : [] });
  const epFile = path.join(dir, 'proxy.ep');
  fs.writeFileSync(epFile, require('node:child_process').execFileSync(bin, ['ep-token', 'scope',
    '--ep-token-file', authority.epTokenFile, '--audience', 'mcp://everything', '--name', 'mcp-proxy']), { mode: 0o600 });
  const port = await freePort();
  const server = await startProcess('node', [everything, 'streamableHttp'], { PORT: String(port) }, /listening on port/);
  const upstream = `http://127.0.0.1:${port}/mcp`;
  const proxy = await startProcess(bin, ['mcp-proxy', '--authority', authority.url, '--ep-token-file', epFile,
    '--system', 'everything', '--audience', 'mcp://everything', '--listen', '127.0.0.1:0', '--upstream', upstream], {},
  /mcp-proxy listening on (http:\/\/[0-9.]+:\d+)/);
  const proxyUrl = proxy.match[1] + '/mcp';

  const agent = await newAgent();
  const task = await authority.startTask(agent, SPIFFE_ID, 'mcp-helper');
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
    // Readiness for a load balancer: GET /healthz, once the revocation stream is synced.
    let health;
    for (let i = 0; i < 100; i++) {
      health = await fetch(proxy.match[1] + '/healthz');
      if (health.status === 200) break;
      assert.equal(health.status, 503);
      assert.equal((await health.json()).error.code, 'revocation.not_synced');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal((await fetch(proxyUrl)).status, 405, 'GET on the MCP path is still refused');

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
    assert.match(refused.content[0].text, /guard\.unsatisfied/);
    console.log('unknown tool -32602; refused call isError with reason');

    // Raw requests: a batch, and 2026-07-28 stateless requests.
    async function raw(url, body, extra = {}, token = task.token) {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
        authorization: 'DPoP ' + token, dpop: await agent.proof('POST', url, token), ...extra };
      const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      const text = await r.text();
      // A Streamable HTTP answer may be JSON or a one-event SSE stream: compare the message.
      const data = text.startsWith('{') || text.startsWith('[') ? text
        : text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      return { status: r.status, json: data ? JSON.parse(data) : null };
    }
    const batch = await raw(proxyUrl, [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get-env', arguments: {} } }]);
    assert.equal(batch.json[0].error.code, -32600);
    console.log('batch refused whole (-32600)');

    const STATELESS = '2026-07-28';
    const meta = { protocolVersion: STATELESS, clientInfo: { name: 'raw', version: '1.0.0' }, clientCapabilities: {} };
    const stateless = (id, method, params, name) => [
      { jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } },
      { 'mcp-protocol-version': STATELESS, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) }];
    const lying = await raw(proxyUrl, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get-env', arguments: {}, _meta: meta } },
      { 'mcp-protocol-version': STATELESS, 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
    assert.equal(lying.status, 400);
    assert.equal(lying.json.error.code, -32001);
    const [hiddenCall, hiddenHeaders] = stateless(3, 'tools/call', { name: 'get-env', arguments: {} }, 'get-env');
    assert.equal((await raw(proxyUrl, hiddenCall, hiddenHeaders)).json.error.code, -32602);
    const [refusedCall, refusedHeaders] = stateless(4, 'tools/call', { name: 'echo', arguments: { message: 'forbidden' } }, 'echo');
    const statelessRefused = await raw(proxyUrl, refusedCall, refusedHeaders);
    assert.equal(statelessRefused.json.result.isError, true);
    assert.match(statelessRefused.json.result.content[0].text, /guard\.unsatisfied/);
    // Allowed stateless requests reach the server unchanged: the proxy answers exactly what the
    // server answers to the same request sent directly (this server speaks 2025-11-25 only).
    for (const [method, params, name] of [['tools/call', { name: 'echo', arguments: { message: 'hi' } }, 'echo'],
      ['tools/list', {}, null]]) {
      const [body, headers] = stateless(5, method, params, name);
      const direct = await raw(upstream, body, headers);
      const via = await raw(proxyUrl, body, headers);
      assert.equal(via.status, direct.status, method);
      if (method === 'tools/list' && direct.json && direct.json.result) {
        assert.deepEqual(via.json.result.tools.map((t) => t.name).sort(), ['echo', 'get-sum']);
      } else {
        assert.deepEqual(via.json, direct.json, method);
      }
    }
    console.log('2026-07-28: header/body mismatch 400 -32001; hidden tool -32602; refusal isError; allowed requests answered as directly');

    // A held step credential (the agent asked the authority itself): decided at the proxy, for
    // one call with the arguments the authority decided on.
    async function held(args) {
      const url = authority.url + '/v1/authorize';
      const r = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP ' + task.token,
        dpop: await agent.proof('POST', url, task.token), 'content-type': 'application/json' },
      body: JSON.stringify({ system: 'everything', action: 'echo', resource: 'everything', args }) });
      const body = await r.json();
      assert.equal(body.decision, 'allow', JSON.stringify(body));
      return body.credential;
    }
    const once = await held({ message: 'held call' });
    assert.equal(JSON.parse(Buffer.from(once.split('.')[0], 'base64url')).alg,
      mode === 'sealed' ? 'HS256' : 'EdDSA');
    const [heldCall, heldHeaders] = stateless(6, 'tools/call', { name: 'echo', arguments: { message: 'held call' } }, 'echo');
    const first = await raw(proxyUrl, heldCall, heldHeaders, once);
    assert.deepEqual(first.json, (await raw(upstream, heldCall, heldHeaders)).json);
    const replayed = await raw(proxyUrl, heldCall, heldHeaders, once);
    assert.equal(replayed.json.result.isError, true);
    assert.match(replayed.json.result.content[0].text, /credential\.already_used/);
    const [otherCall, otherHeaders] = stateless(7, 'tools/call', { name: 'echo', arguments: { message: 'something else' } }, 'echo');
    const mismatched = await raw(proxyUrl, otherCall, otherHeaders, await held({ message: 'held call' }));
    assert.equal(mismatched.json.result.isError, true);
    assert.match(mismatched.json.result.content[0].text, /credential\.arguments_mismatch/);
    console.log(`held (${mode}) step credential: one call, the decided arguments only (already_used, arguments_mismatch)`);

    await authority.revokeTask(task.taskId);
    const after = await proxied.callTool({ name: 'echo', arguments: { message: 'again' } });
    assert.equal(after.isError, true);
    assert.match(after.content[0].text, /revo/i);
    console.log('revoked task: next call refused');
  } finally {
    await proxied.close().catch(() => {});
    await direct.close().catch(() => {});
    proxy.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    authority.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  for (const mode of ['sealed', 'signed']) await run(mode);
  console.log('mcp http: ok');
}

main().catch((e) => { console.error(e); process.exit(1); });
