// Test helpers over the real server's HTTP API for the delegation tests: agent calls (DPoP),
// handoffs, operator calls, /v1/check as nginx would send it, the audit trail and a replay of
// the revocation stream.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

class Api {
  constructor(server, dir) {
    this.server = server;
    this.adminToken = fs.readFileSync(path.join(dir, 'data/admin.token'), 'utf8').trim();
  }

  async agentRequest(agent, task, method, p, body) {
    const url = this.server.url + p;
    const r = await fetch(url, { method, headers: {
      authorization: 'DPoP ' + task.token, dpop: await agent.proof(method, url, task.token),
      'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  }

  async call(agent, task, system, action, resource, args) {
    const r = await this.agentRequest(agent, task, 'POST', '/v1/authorize', { system, action, resource, args });
    if (r.status !== 200) throw new Error('authorize: ' + r.status + ' ' + JSON.stringify(r.body));
    return r.body;
  }

  delegate(agent, task, body) {
    return this.agentRequest(agent, task, 'POST', `/v1/tasks/${task.taskId}/delegations`, body);
  }

  async operator(method, p, body, token = this.adminToken) {
    const r = await fetch(this.server.url + p, { method, headers: { authorization: 'Bearer ' + token,
      'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  }

  // GET `uri` through /v1/check as nginx's auth_request would forward it.
  async check(agent, task, uri) {
    const host = 'wiki.test';
    const r = await fetch(this.server.url + '/v1/check', { method: 'POST', headers: {
      'x-original-method': 'GET', 'x-original-uri': uri, 'x-original-host': host,
      authorization: 'DPoP ' + task.token, dpop: await agent.proof('GET', 'http://' + host + uri, task.token) } });
    await r.arrayBuffer();
    return { status: r.status, reason: r.headers.get('x-mandate-reason') };
  }

  async auditText() {
    const r = await fetch(this.server.url + '/v1/audit?since=1&limit=10000',
      { headers: { authorization: 'Bearer ' + this.adminToken } });
    return r.text();
  }

  // The revocation events after `after`, as an enforcement point replaying the stream sees them.
  async revocationEvents(after) {
    const ac = new AbortController();
    const r = await fetch(this.server.url + '/v1/revocations/stream?after=' + after,
      { headers: { authorization: 'Bearer ' + this.adminToken }, signal: ac.signal });
    const reader = r.body.getReader();
    let text = '';
    const timer = setTimeout(() => ac.abort(), 1500);
    let settle = null;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
        // The replay arrives at once; give it 200 ms to finish, then hang up.
        if (!settle && text.includes('\n\n')) settle = setTimeout(() => ac.abort(), 200);
      }
    } catch (e) {
      if (e.name !== 'AbortError') throw e;
    } finally {
      clearTimeout(timer);
      clearTimeout(settle);
    }
    return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
  }
}

// The worked example's mandates (examples/mandates) and the test-only `ops` mandate.
function exampleMandates(extraOps = '') {
  const examples = path.join(__dirname, '../../examples/mandates');
  return {
    'release-planner.yaml': fs.readFileSync(path.join(examples, 'release-planner.yaml'), 'utf8'),
    'release-executor.yaml': fs.readFileSync(path.join(examples, 'release-executor.yaml'), 'utf8'),
    'ops.yaml': fs.readFileSync(path.join(__dirname, 'ops.yaml'), 'utf8') + extraOps,
  };
}

// /v1/check routes for the `wiki` system of `ops` (nginx / Envoy enforcement point).
const wikiRoutes = `
authority: http://127.0.0.1:1
ep_token_file: unused
systems:
  - name: wiki
    upstream: http://127.0.0.1:1
    routes:
      - {method: GET, path: "/docs/{page}", action: GET, resource: "/docs/{page}"}
`;

const agents = {
  PLANNER: 'spiffe://example.org/agents/release-planner',
  TESTER: 'spiffe://example.org/agents/release/tester',
  DEPLOYER: 'spiffe://example.org/agents/release/deployer',
  OPS: (n) => 'spiffe://example.org/agents/ops/' + n,
};

module.exports = { Api, exampleMandates, wikiRoutes, agents };
