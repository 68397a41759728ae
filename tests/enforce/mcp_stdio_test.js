// The official MCP TypeScript SDK client through `mandate mcp-proxy` (stdio) to the unmodified
// @modelcontextprotocol/server-filesystem, compared with a direct connection.
// Usage: node mcp_stdio_test.js MANDATE_BIN
// Decides with the real authority (`mandate serve`).
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { newAgent } = require('./agent.js');
const { startRealAuthority } = require('./real_authority.js');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

const bin = process.argv[2];
const serverJs = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

async function connect(command, args, env) {
  const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: 'pipe' });
  const logs = [];
  transport.stderr?.on('data', (d) => logs.push(String(d)));
  const client = new Client({ name: 'mandate-enforce-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, logs };
}

// Sends raw lines to a proxy and collects the lines it answers (for batches and malformed input).
function rawExchange(args, env, lines, expected) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error('raw exchange timed out: ' + out)); }, 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const got = out.split('\n').filter(Boolean);
      if (got.length >= expected) {
        clearTimeout(timer);
        child.stdin.end();  // the proxy closes the server's input; both exit before we go on
        child.on('exit', () => resolve(got.map((l) => JSON.parse(l))));
      }
    });
    for (const l of lines) child.stdin.write(l + '\n');
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-mcp-'));
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'notes.txt'), 'hello from the filesystem server\n');
  fs.writeFileSync(path.join(data, 'secret-plan.txt'), 'do not read\n');
  const agent = await newAgent();
  const keyFile = path.join(dir, 'agent.jwk');
  await agent.writePrivateJwk(keyFile);
  const spiffeId = 'spiffe://example.org/agents/reader';
  const authority = await startRealAuthority(bin, dir, { mandates: { 'fs-reader.yaml': `
name: fs-reader
version: 1.0.0
owner: security@example.com
description: list a folder and read notes from it, never the secret plans
agents:
  - spiffe_id: ${spiffeId}
systems:
  - name: filesystem
    kind: mcp
    audience: mcp://filesystem
    upstream: stdio
steps:
  - id: list
    system: filesystem
    actions: list_directory
    resources: "**"
    args: {path: string}
    max_calls: 10
  - id: read
    system: filesystem
    actions: read_text_file
    resources: "**"
    args: {path: string}
    guard: '!(context.args.path like "*secret*")'
    max_calls: 10
limits:
  deadline: 10m
# The test goes on after its refusals, so a deviation denies without revoking the task.
on_deviation: deny
` } });
  const task = await authority.startTask(agent, spiffeId, 'fs-reader');
  const epFile = authority.epTokenFile;

  const proxyArgs = ['mcp-proxy', '--authority', authority.url, '--ep-token-file', epFile,
    '--system', 'filesystem', '--agent-key', keyFile, '--', 'node', serverJs, data];
  const proxyEnv = { MANDATE_TASK_TOKEN: task.token };

  const direct = await connect('node', [serverJs, data], {});
  const proxied = await connect(bin, proxyArgs, proxyEnv);
  try {
    // tools/list: only the tools the mandate allows, each exactly as the server describes it.
    const all = (await direct.client.listTools()).tools;
    const shown = (await proxied.client.listTools()).tools;
    assert.deepEqual(shown.map((t) => t.name).sort(), ['list_directory', 'read_text_file']);
    for (const t of shown) assert.deepEqual(t, all.find((d) => d.name === t.name));
    assert.ok(all.some((t) => t.name === 'write_file'), 'direct listing has write_file');
    console.log(`tools/list: ${shown.length} of ${all.length} tools shown`);

    // Allowed calls return exactly what a direct connection returns.
    for (const call of [
      { name: 'read_text_file', arguments: { path: path.join(data, 'notes.txt') } },
      { name: 'list_directory', arguments: { path: data } },
    ]) {
      const want = await direct.client.callTool(call);
      const got = await proxied.client.callTool(call);
      assert.deepEqual(got, want);
      assert.ok(!got.isError);
    }
    console.log('allowed calls: identical to direct');

    // A tool outside the mandate: JSON-RPC -32602.
    await assert.rejects(
      proxied.client.callTool({ name: 'write_file', arguments: { path: path.join(data, 'x'), content: 'pwned' } }),
      (e) => e.code === -32602);
    assert.ok(!fs.existsSync(path.join(data, 'x')), 'write_file never reached the server');
    console.log('unknown tool: -32602');

    // Refused for its arguments: isError result naming the reason.
    const refused = await proxied.client.callTool({ name: 'read_text_file', arguments: { path: path.join(data, 'secret-plan.txt') } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /guard\.unsatisfied/);
    console.log('refused by policy: isError with reason');

    // A batch cannot smuggle a call; malformed and duplicate-member messages are never forwarded.
    const replies = await rawExchange(proxyArgs, proxyEnv, [
      JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'write_file', arguments: { path: path.join(data, 'y'), content: 'x' } } }]),
      '{"jsonrpc":"2.0","id":3,"method":"tools/list","method":"tools/call","params":{"name":"write_file"}}',
      '{"jsonrpc":"2.0","id":4,',
      // A 2026-07-28 stateless request (no initialize; `_meta` on the request) is governed alike.
      JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'write_file',
        arguments: { path: path.join(data, 'z'), content: 'x' }, _meta: { protocolVersion: '2026-07-28' } } }),
    ], 4);
    assert.ok(Array.isArray(replies[0]) && replies[0].length === 2);
    assert.ok(replies[0].every((r) => r.error && r.error.code === -32600));
    assert.equal(replies[1].error.code, -32700);
    assert.equal(replies[2].error.code, -32700);
    assert.equal(replies[3].id, 5);
    assert.equal(replies[3].error.code, -32602);
    assert.ok(!fs.existsSync(path.join(data, 'y')), 'no batched call reached the server');
    assert.ok(!fs.existsSync(path.join(data, 'z')), 'the stateless call never reached the server');
    console.log('batch and ambiguous messages: refused, nothing forwarded');

    // Revoking the task stops the next call.
    await authority.revokeTask(task.taskId);
    const after = await proxied.client.callTool({ name: 'read_text_file', arguments: { path: path.join(data, 'notes.txt') } });
    assert.equal(after.isError, true);
    assert.match(after.content[0].text, /revo/i);
    console.log('revoked task: next call refused');
    const logs = proxied.logs.join('');
    assert.ok(!logs.includes(task.token), 'the task token never appears in the proxy log');
  } finally {
    await proxied.client.close();
    await direct.client.close();
    authority.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log('mcp stdio: ok');
}

main().catch((e) => { console.error(e); process.exit(1); });
