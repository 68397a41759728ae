// Human approval over the real `mandate serve` (docs/delegation.md, the worked example): the
// planner hands the deployment to an executor, the deployment is held for a human, the agent
// long-polls, the owner's side approves with `mandate approvals`, the approval lets exactly
// that call through once, never another call, and expires. A policy annotated `@escalate`
// also asks a human. A webhook receiver that fails once still gets every notification.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { newAgent } = require('../enforce/agent.js');
const { startRealAuthority } = require('../enforce/real_authority.js');
const { Api, exampleMandates, agents } = require('./api.js');

const bin = process.env.MANDATE_BIN || process.argv[2];
const mandates = exampleMandates(`
policies:
  - id: budget-page
    description: the budget page is edited only with a human's consent
    cedar: |
      @escalate("true")
      forbid (principal, action == Action::"write", resource)
      when { context.call.resource == "/docs/budget" };
`);
const { PLANNER, DEPLOYER } = agents;

// A webhook receiver that fails the first delivery of each notification (HTTP 500).
const received = [];
const failedOnce = new Set();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const n = JSON.parse(body);
    if (!failedOnce.has(n.id)) {
      failedOnce.add(n.id);
      res.writeHead(500);
      return res.end();
    }
    received.push(n);
    res.writeHead(204);
    res.end();
  });
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-approvals-'));
let server, api;

test.before(async () => {
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  fs.writeFileSync(path.join(dir, 'governance.yaml'), `
approval_ttl_seconds: 8
webhooks:
  - url: http://127.0.0.1:${receiver.address().port}/hook
    events: [approval.pending, approval.decided, revocation]
    max_attempts: 4
    backoff_ms: 100
`);
  server = await startRealAuthority(bin, dir, {
    mandates, extraArgs: ['--governance', path.join(dir, 'governance.yaml')] });
  api = new Api(server, dir);
});
test.after(() => { if (server) server.close(); receiver.close(); });

function cli(args, input) {
  return new Promise((resolve) => {
    const child = execFile(bin, [...args, '--server', server.url, '--token-file', path.join(dir, 'data/admin.token')],
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

async function waitFor(pred, what) {
  for (let i = 0; i < 100; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('timed out waiting for ' + what);
}

// The worked example's deployer: a child of the planner holding only `deploy`.
async function deployer() {
  const pa = await newAgent();
  const planner = await server.startTask(pa, PLANNER, 'release-planner', { service: 'api' });
  const r = await api.delegate(pa, planner, { agent: DEPLOYER, steps: ['deploy'] });
  assert.strictEqual(r.status, 201, JSON.stringify(r.body));
  const agent = await newAgent();
  const task = await server.startTask(agent, DEPLOYER, undefined, {}, { delegated_task: r.body.task_id });
  return { agent, task };
}
const deploy = (d, args, approval_id) => api.agentRequest(d.agent, d.task, 'POST', '/v1/authorize',
  { system: 'ci', action: 'POST', resource: '/deployments/api', args, approval_id }).then((r) => r.body);

test('an approval lets exactly its call through, once; the agent long-polls', async () => {
  const d = await deployer();
  const held = await deploy(d, { version: '1.4.2' });
  assert.strictEqual(held.decision, 'pending', JSON.stringify(held));
  assert.strictEqual(held.reasons[0].code, 'approval.required');
  const id = held.approval_id;
  assert.match(id, /^a_[0-9a-f]{24}$/);
  // Asking again for the same call waits on the same approval.
  assert.strictEqual((await deploy(d, { version: '1.4.2' })).approval_id, id);

  const listed = await cli(['approvals', 'list']);
  assert.strictEqual(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(id + '  pending  release-executor/deploy  ci POST /deployments/api'));
  // The agent itself cannot approve its call; nor can anyone without a credential.
  const self = await api.agentRequest(d.agent, d.task, 'POST', `/v1/approvals/${id}/approve`, {});
  assert.strictEqual(self.status, 401);
  assert.strictEqual((await api.operator('POST', `/v1/approvals/${id}/approve`, {}, 'wrong')).status, 401);

  // The agent long-polls; the approval arrives while it waits.
  const poll = api.agentRequest(d.agent, d.task, 'GET', `/v1/approvals/${id}?wait=10s`);
  await new Promise((r) => setTimeout(r, 300));
  const approved = await cli(['approvals', 'approve', id, '--reason', 'release window']);
  assert.strictEqual(approved.code, 0, approved.stderr);
  const polled = await poll;
  assert.strictEqual(polled.status, 200);
  assert.strictEqual(polled.body.state, 'approved');
  assert.strictEqual(polled.body.decided_by, 'operator');

  // Call B (other arguments) is not call A: presenting A's approval for it is refused, and
  // without it B is only held for its own approval.
  const other = await deploy(d, { version: '9.9.9' }, id);
  assert.strictEqual(other.decision, 'deny');
  assert.strictEqual(other.reasons[0].code, 'approval.call_mismatch');
  const otherHeld = await deploy(d, { version: '9.9.9' });
  assert.strictEqual(otherHeld.decision, 'pending');
  assert.notStrictEqual(otherHeld.approval_id, id);
  // Call A goes through with its approval, once.
  const allowed = await deploy(d, { version: '1.4.2' }, id);
  assert.strictEqual(allowed.decision, 'allow', JSON.stringify(allowed));
  assert.match(allowed.credential, /^ey/);
  const twice = await deploy(d, { version: '1.4.2' }, id);
  assert.strictEqual(twice.decision, 'deny');
  // A decided approval cannot be decided again.
  const again = await cli(['approvals', 'deny', id]);
  assert.strictEqual(again.code, 1);
  assert.match(again.stderr, /approval\.decided/);
  // The audit trail has who approved which call.
  assert.match(await api.auditText(), new RegExp(`"approval.approved".*${id}`));
});

test('a refused call is denied; an approval expires', async () => {
  const d = await deployer();
  const held = await deploy(d, { version: '2' });
  const refused = await cli(['approvals', 'deny', held.approval_id, '--reason', 'not today']);
  assert.strictEqual(refused.code, 0, refused.stderr);
  const denied = await deploy(d, { version: '2' });
  assert.strictEqual(denied.decision, 'deny');
  assert.strictEqual(denied.reasons[0].code, 'approval.denied');

  // Approved but used only after its expiry (8 s: the first test's steps fit in it on a
  // loaded machine): denied. A pending approval nobody decided expires too.
  const late = await deploy(d, { version: '3' });
  const ignored = await deploy(d, { version: '4' });
  assert.strictEqual((await cli(['approvals', 'approve', late.approval_id])).code, 0);
  await new Promise((r) => setTimeout(r, 8300));
  const expired = await deploy(d, { version: '3' }, late.approval_id);
  assert.strictEqual(expired.decision, 'deny');
  assert.strictEqual(expired.reasons[0].code, 'approval.expired');
  const view = await api.operator('GET', '/v1/approvals/' + ignored.approval_id);
  assert.strictEqual(view.body.state, 'expired');
  const tooLate = await cli(['approvals', 'approve', ignored.approval_id]);
  assert.strictEqual(tooLate.code, 1);
  assert.match(tooLate.stderr, /approval\.expired/);
});

test('a policy annotated @escalate asks a human instead of denying', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, 'spiffe://example.org/agents/ops/e', 'ops');
  const page = await api.call(agent, task, 'wiki', 'PUT', '/docs/intro');
  assert.strictEqual(page.decision, 'allow');
  const budget = await api.call(agent, task, 'wiki', 'PUT', '/docs/budget');
  assert.strictEqual(budget.decision, 'pending', JSON.stringify(budget));
  assert.strictEqual(budget.reasons[0].code, 'approval.escalated');
  assert.strictEqual((await api.operator('POST', `/v1/approvals/${budget.approval_id}/approve`, {})).status, 200);
  const after = await api.call(agent, task, 'wiki', 'PUT', '/docs/budget');
  assert.strictEqual(after.decision, 'allow', JSON.stringify(after));
});

test('the webhook receiver gets each notification although every first delivery fails', async () => {
  const d = await deployer();
  const held = await deploy(d, { version: '5' });
  await api.operator('POST', `/v1/approvals/${held.approval_id}/approve`, {});
  await api.operator('POST', '/v1/revocations', { scope: 'task', value: d.task.taskId, reason: 'hook test' });
  await waitFor(() => received.some((n) => n.event === 'approval.pending' && n.data.approval_id === held.approval_id) &&
    received.some((n) => n.event === 'approval.decided' && n.data.approval_id === held.approval_id) &&
    received.some((n) => n.event === 'revocation' && n.data.tasks.includes(d.task.taskId)), 'webhooks');
  for (const n of received) assert.ok(failedOnce.has(n.id), 'each was delivered after a failure');
});
