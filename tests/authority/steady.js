// A mandate with one step an agent may call many times (`status` GET /status), for tests that
// need a long run of allowed decisions (disk_full_test.js, tests/store/replicas_test.js), and
// the call that exercises it.
'use strict';

const AGENTS = 'spiffe://example.org/agents/';
const mandates = {
  'steady.yaml': `name: steady
version: 1.0.0
owner: platform@example.com
agents:
  - spiffe_prefix: ${AGENTS}
systems:
  - name: status
    kind: http
    audience: https://status.example.org
    upstream: https://status.example.org
steps:
  - id: read_status
    system: status
    actions: GET
    resources: /status
    max_calls: 60000
limits:
  deadline: 1h
`,
};

// POST /v1/authorize for the step, with a fresh proof: { status, body }.
async function authorize(server, agent, task) {
  const url = server.url + '/v1/authorize';
  const r = await fetch(url, { method: 'POST', headers: {
    authorization: 'DPoP ' + task.token, dpop: await agent.proof('POST', url, task.token),
    'content-type': 'application/json' },
  body: JSON.stringify({ system: 'status', action: 'GET', resource: '/status' }) });
  return { status: r.status, body: await r.json() };
}

module.exports = { AGENTS, mandates, authorize };
