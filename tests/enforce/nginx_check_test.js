// Real nginx with `auth_request` against the real authority's `/v1/check`, in front of a small
// upstream: an allowed chain passes (with the API key injected by nginx), a deviation gets 403
// with the reason, and a revocation takes effect at nginx.
// Usage: node nginx_check_test.js MANDATE_BIN
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startRealAuthority } = require('./real_authority.js');
const { newAgent } = require('./agent.js');

const bin = process.argv[2];
const children = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-nginx-'));
  const API_KEY = 'tracker-key-' + Math.random().toString(36).slice(2);
  // Upstream that requires the API key.
  const seen = [];
  const upstream = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    if (req.headers['x-api-key'] !== API_KEY) { res.writeHead(401); return res.end('no key'); }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, url: req.url }));
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const upPort = upstream.address().port;

  const spiffeId = 'spiffe://example.org/agents/triage';
  const mandate = `
name: tracker-triage
version: 1.0.0
owner: security@example.com
description: read an issue, then comment on it
agents:
  - spiffe_id: ${spiffeId}
systems:
  - name: tracker
    kind: http
    audience: https://tracker.example.org
    upstream: http://127.0.0.1:${upPort}
steps:
  - id: read_issue
    system: tracker
    actions: read_issue
    resources: issues/*
    max_calls: 10
  - id: comment
    system: tracker
    actions: add_comment
    resources: issues/*
    max_calls: 5
order:
  requires:
    comment: [read_issue]
limits:
  deadline: 10m
# The test goes on after its deviation, so a deviation denies without revoking (the default
# revokes the task).
on_deviation: deny
`;
  const routes = `
authority: http://127.0.0.1:1
ep_token_file: unused
systems:
  - name: tracker
    upstream: http://127.0.0.1:${upPort}
    routes:
      - {method: GET, path: "/issues/{id}", action: read_issue, resource: "issues/{id}"}
      - {method: POST, path: "/issues/{id}/comments", action: add_comment, resource: "issues/{id}"}
      - {method: DELETE, path: "/issues/{id}", action: delete_issue, resource: "issues/{id}"}
`;
  const real = await startRealAuthority(bin, dir, { mandates: { 'tracker-triage.yaml': mandate }, checkRoutes: routes });
  children.push(real.child);
  const servePort = new URL(real.url).port;


  // nginx: auth_request to /v1/check; strips the agent's credentials and injects the key.
  const nginxPort = await freePort();
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err info;
events { worker_connections 256; }
http {
  access_log ${dir}/nginx.access;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream tracker { server 127.0.0.1:${upPort}; }
  upstream mandate { server 127.0.0.1:${servePort}; }
  server {
    listen 127.0.0.1:${nginxPort};
    location /tracker/ {
      auth_request /_mandate_check;
      auth_request_set $mandate_reason $upstream_http_x_mandate_reason;
      auth_request_set $mandate_step $upstream_http_x_mandate_step;
      error_page 401 = @mandate_unauthenticated;
      error_page 403 = @mandate_denied;
      proxy_set_header Authorization "";
      proxy_set_header DPoP "";
      proxy_set_header Cookie "";
      proxy_set_header X-Api-Key "${API_KEY}";
      proxy_set_header X-Mandate-Step $mandate_step;
      proxy_pass http://tracker/;
    }
    location = /_mandate_check {
      internal;
      proxy_pass http://mandate/v1/check;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header Authorization $http_authorization;
      proxy_set_header DPoP $http_dpop;
    }
    location @mandate_denied {
      default_type application/json;
      add_header X-Mandate-Reason $mandate_reason always;
      return 403 '{"error":{"code":"$mandate_reason"}}';
    }
    location @mandate_unauthenticated {
      default_type application/json;
      add_header X-Mandate-Reason $mandate_reason always;
      return 401 '{"error":{"code":"$mandate_reason"}}';
    }
  }
}`);
  const nginx = spawn('nginx', ['-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'nginx.err')], { stdio: 'inherit' });
  children.push(nginx);
  const base = `http://127.0.0.1:${nginxPort}`;
  for (let i = 0; i < 100; i++) {
    try { await fetch(base + '/'); break; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }

  try {
    // Start the task: JWT-SVID + DPoP proof (the proof's key becomes the task's key).
    const agent = await newAgent();
    const started = await real.startTask(agent, spiffeId, 'tracker-triage');
    const token = started.token;

    async function call(method, target) {
      const r = await fetch(base + target, { method, headers: { authorization: 'DPoP ' + token,
        dpop: await agent.proof(method, base + target, token) } });
      return { status: r.status, reason: r.headers.get('x-mandate-reason'), text: await r.text() };
    }
    // Deviation first: commenting before reading breaks the chain's order.
    const early = await call('POST', '/tracker/issues/7/comments');
    assert.equal(early.status, 403, early.text);
    console.log(`deviation (comment before read): 403 ${early.reason}`);
    assert.equal(seen.length, 0);
    // The allowed chain passes, with the key injected and the agent's token stripped.
    const read = await call('GET', '/tracker/issues/7');
    assert.equal(read.status, 200, read.text);
    assert.equal(seen.at(-1).headers['x-api-key'], API_KEY);
    assert.equal(seen.at(-1).headers.authorization, undefined);
    assert.equal(seen.at(-1).headers.dpop, undefined);
    console.log('allowed chain: read_issue passes through nginx');
    const comment = await call('POST', '/tracker/issues/7/comments');
    assert.equal(comment.status, 200, comment.text);
    console.log('allowed chain: add_comment after read_issue passes');
    const del = await call('DELETE', '/tracker/issues/7');
    assert.equal(del.status, 403);
    console.log(`outside the mandate (delete_issue): 403 ${del.reason}`);
    // Revocation takes effect at nginx on the next call.
    await real.revokeTask(started.taskId);
    const after = await call('GET', '/tracker/issues/7');
    assert.equal(after.status, 403);
    console.log(`revoked: next call 403 ${after.reason}`);
    assert.ok(seen.every((s) => s.headers.authorization === undefined));
  } finally {
    // Wait for the master to stop its worker: the exit handler's SIGKILL of a master that has
    // not yet done so orphans the worker, which keeps ctest's output pipe open until it times out.
    const stopped = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGTERM');
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 10000))]);
    real.close();
    upstream.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('nginx auth_request: ok');
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
