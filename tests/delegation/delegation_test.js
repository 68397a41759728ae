// Delegation over the real `mandate serve` (docs/delegation.md): a planner that may only
// delegate, every kind of amplification refused with its own error, a Cedar delegation policy,
// the actor chain in child credentials, and a three-level tree revoked at every enforcement
// point by revoking its root.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { newAgent } = require('../enforce/agent.js');
const { startRealAuthority } = require('../enforce/real_authority.js');
const { Api, exampleMandates, wikiRoutes, agents } = require('./api.js');

const bin = process.env.MANDATE_BIN || process.argv[2];
const mandates = exampleMandates();
const { PLANNER, TESTER, DEPLOYER, OPS } = agents;
const routes = wikiRoutes;
const governance = `
delegation_policies: |
  @id("no-deep-writes")
  forbid (principal, action == Action::"delegate", resource)
  when { context.depth > 1 && context.steps.contains("write") };
approval_ttl_seconds: 2
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-delegation-'));
let server, api;

test.before(async () => {
  fs.writeFileSync(path.join(dir, 'governance.yaml'), governance);
  server = await startRealAuthority(bin, dir, {
    mandates, checkRoutes: routes, extraArgs: ['--governance', path.join(dir, 'governance.yaml')] });
  api = new Api(server, dir);
});
test.after(() => server && server.close());

async function planner() {
  const agent = await newAgent();
  const task = await server.startTask(agent, PLANNER, 'release-planner', { service: 'api' });
  return { agent, task };
}

test('a planner may not call a tool itself, only delegate', async () => {
  const p = await planner();
  const d = await api.call(p.agent, p.task, 'repo', 'GET', '/repos/api/README.md');
  assert.strictEqual(d.decision, 'deny');
  assert.strictEqual(d.reasons[0].code, 'chain.planner_may_only_delegate');
});

test('a handoff within what the planner holds: the child runs with the actor chain', async () => {
  const p = await planner();
  const r = await api.delegate(p.agent, p.task, { agent: TESTER, steps: ['read_code', { id: 'run_tests', max_calls: 2 }] });
  assert.strictEqual(r.status, 201, JSON.stringify(r.body));
  assert.strictEqual(r.body.parent_task, p.task.taskId);
  assert.strictEqual(r.body.mandate.name, 'release-executor');
  const tester = await newAgent();
  // Only the named delegatee can start the child, once.
  const stranger = await newAgent();
  await assert.rejects(server.startTask(stranger, DEPLOYER, undefined, {}, { delegated_task: r.body.task_id }),
    /delegation.wrong_agent/);
  const child = await server.startTask(tester, TESTER, undefined, {}, { delegated_task: r.body.task_id });
  await assert.rejects(server.startTask(tester, TESTER, undefined, {}, { delegated_task: r.body.task_id }),
    /delegation.already_started/);
  // The claim is in the audit trail, with what the delegatee proved who it is with.
  const claimRecords = (await api.auditText()).split('\n').filter((l) => l.includes('"task.claimed"'))
    .map((l) => JSON.parse(l)).map((l) => l.record || l);
  assert.strictEqual(claimRecords.length, 1, JSON.stringify(claimRecords));
  assert.strictEqual(claimRecords[0].task, r.body.task_id);
  assert.strictEqual(claimRecords[0].agent, TESTER);
  const detail = typeof claimRecords[0].detail === 'string' ? JSON.parse(claimRecords[0].detail) : claimRecords[0].detail;
  assert.strictEqual(detail.credential.type, 'jwt-svid');
  const read = await api.call(tester, child, 'repo', 'GET', '/repos/api/src/main.c');
  assert.strictEqual(read.decision, 'allow', JSON.stringify(read));
  const claims = JSON.parse(Buffer.from(read.credential.split('.')[1], 'base64url'));
  assert.strictEqual(claims.sub, TESTER);
  assert.deepStrictEqual(claims.act, { sub: PLANNER });
  // Budget handed on: 2 test runs, not the planner's 5.
  for (let i = 0; i < 2; i++) {
    assert.strictEqual((await api.call(tester, child, 'ci', 'POST', '/pipelines/api/runs')).decision, 'allow');
  }
  // An executor may not hand anything on.
  const again = await api.delegate(tester, child, { agent: DEPLOYER, steps: ['read_code'] });
  assert.strictEqual(again.status, 403);
  assert.strictEqual(again.body.error.code, 'delegation.not_delegable');
  // The planner still has the deployment to hand to the second executor.
  const deploy = await api.delegate(p.agent, p.task, { agent: DEPLOYER, steps: ['deploy'] });
  assert.strictEqual(deploy.status, 201, JSON.stringify(deploy.body));
  assert.strictEqual(deploy.body.grant.total_calls, 1);
  // Stepping outside the grant is denied (and, as any deviation, revokes the child).
  const third = await api.call(tester, child, 'ci', 'POST', '/pipelines/api/runs');
  assert.strictEqual(third.decision, 'deny');
  assert.strictEqual(third.reasons[0].code, 'delegation.budget_exhausted');
});

test('a child may only call the steps it was handed', async () => {
  const p = await planner();
  const r = await api.delegate(p.agent, p.task, { agent: TESTER, steps: ['read_code'] });
  const tester = await newAgent();
  const child = await server.startTask(tester, TESTER, undefined, {}, { delegated_task: r.body.task_id });
  const d = await api.call(tester, child, 'ci', 'POST', '/pipelines/api/runs');
  assert.strictEqual(d.decision, 'deny');
  assert.strictEqual(d.reasons[0].code, 'delegation.step_not_granted');
});

test('every kind of amplification is refused with its own error', async () => {
  const p = await planner();
  const view = await api.operator('GET', '/v1/tasks/' + p.task.taskId);
  const cases = [
    [{ steps: ['delete_branch'] }, 'delegation.extra_step'],
    [{ steps: ['announce'] }, 'delegation.extra_system'],
    [{ steps: [{ id: 'read_code', actions: ['DELETE'] }] }, 'delegation.extra_action'],
    [{ steps: [{ id: 'read_code', resources: ['/repos/**'] }] }, 'delegation.wider_resource'],
    [{ steps: ['read_code'], inputs: { service: 'billing' } }, 'delegation.wider_resource'],
    [{ steps: ['read_code'], labels: ['source', 'secrets'] }, 'delegation.new_label'],
    [{ steps: [{ id: 'run_tests', max_calls: 9 }] }, 'delegation.larger_budget'],
    [{ steps: ['read_code'], max_calls: 100 }, 'delegation.larger_budget'],
    [{ steps: ['read_code'], deadline: view.body.deadline + 3600 }, 'delegation.later_deadline'],
    [{ steps: ['read_code'], agent: 'spiffe://example.org/agents/intruder' }, 'delegation.delegatee_not_allowed'],
    [{ steps: ['read_code'], mandate: 'ops' }, 'delegation.mandate_not_allowed'],
  ];
  for (const [body, code] of cases) {
    const r = await api.delegate(p.agent, p.task, { agent: TESTER, ...body });
    assert.strictEqual(r.status, 403, JSON.stringify(body) + ' ' + JSON.stringify(r.body));
    assert.strictEqual(r.body.error.code, code, JSON.stringify(body));
  }
  // Malformed handoffs are 400s, not crashes.
  for (const body of [{}, { agent: TESTER }, { agent: TESTER, steps: 'read_code' },
    { agent: TESTER, steps: [{ id: 'read_code', max_calls: -1 }] }, { agent: TESTER, steps: ['x'], extra: 1 }]) {
    const r = await api.delegate(p.agent, p.task, body);
    assert.strictEqual(r.status, 400, JSON.stringify(body) + ' ' + JSON.stringify(r.body));
  }
  // Each refusal is in the audit trail with its reason.
  const audit = await api.auditText();
  assert.match(audit, /"delegation\.refused"/);
  assert.match(audit, /delegation\.later_deadline/);
});

test('remaining budgets are what the parent holds now', async () => {
  const agent = await newAgent();
  const root = await server.startTask(agent, OPS('a'), 'ops');
  for (let i = 0; i < 3; i++) {
    assert.strictEqual((await api.call(agent, root, 'wiki', 'PUT', '/docs/p' + i)).decision, 'allow');
  }
  const r = await api.delegate(agent, root, { agent: OPS('b'), steps: [{ id: 'write', max_calls: 3 }] });
  assert.strictEqual(r.body.error && r.body.error.code, 'delegation.larger_budget');
  const ok = await api.delegate(agent, root, { agent: OPS('b'), steps: [{ id: 'write', max_calls: 2 }] });
  assert.strictEqual(ok.status, 201, JSON.stringify(ok.body));
});

test('a three-level tree: re-delegation is limited to what was handed on; revoking the root revokes all', async () => {
  const [a, b, c] = [await newAgent(), await newAgent(), await newAgent()];
  const root = await server.startTask(a, OPS('a'), 'ops');
  const toB = await api.delegate(a, root, { agent: OPS('b'), may_delegate: true,
    steps: [{ id: 'read', max_calls: 6 }, { id: 'write', max_calls: 2 }] });
  assert.strictEqual(toB.status, 201, JSON.stringify(toB.body));
  const taskB = await server.startTask(b, OPS('b'), undefined, {}, { delegated_task: toB.body.task_id });
  // B holds 2 writes: handing on 4 is beyond what it was given (its mandate alone would allow 5).
  const beyond = await api.delegate(b, taskB, { agent: OPS('c'), steps: [{ id: 'write', max_calls: 4 }] });
  assert.strictEqual(beyond.status, 403);
  assert.strictEqual(beyond.body.error.code, 'delegation.beyond_handed_on');
  // The Cedar delegation policy forbids handing writes on below the first level.
  const forbidden = await api.delegate(b, taskB, { agent: OPS('c'), steps: [{ id: 'write', max_calls: 1 }] });
  assert.strictEqual(forbidden.status, 403);
  assert.strictEqual(forbidden.body.error.code, 'delegation.policy_forbid');
  assert.match(forbidden.body.error.message, /no-deep-writes/);
  const toC = await api.delegate(b, taskB, { agent: OPS('c'), steps: [{ id: 'read', max_calls: 3 }] });
  assert.strictEqual(toC.status, 201, JSON.stringify(toC.body));
  const taskC = await server.startTask(c, OPS('c'), undefined, {}, { delegated_task: toC.body.task_id });
  const read = await api.call(c, taskC, 'wiki', 'GET', '/docs/a/b');
  assert.strictEqual(read.decision, 'allow', JSON.stringify(read));
  const claims = JSON.parse(Buffer.from(read.credential.split('.')[1], 'base64url'));
  assert.deepStrictEqual(claims.act, { sub: OPS('b'), act: { sub: OPS('a') } });
  // Each level passes /v1/check (an nginx / Envoy enforcement point) before the revocation.
  for (const [agent, task] of [[a, root], [b, taskB], [c, taskC]]) {
    const ok = await api.check(agent, task, '/wiki/docs/x');
    assert.strictEqual(ok.status, 200, ok.reason);
  }

  const revoked = await api.operator('POST', '/v1/revocations', { scope: 'task', value: root.taskId, reason: 'test' });
  assert.strictEqual(revoked.status, 201);
  assert.deepStrictEqual(revoked.body.tasks.sort(), [root.taskId, taskB.taskId, taskC.taskId].sort());
  for (const [agent, task] of [[a, root], [b, taskB], [c, taskC]]) {
    const d = await api.call(agent, task, 'wiki', 'GET', '/docs/x');
    assert.strictEqual(d.decision, 'deny');
    assert.strictEqual(d.reasons[0].check, 'revocation');
    const check = await api.check(agent, task, '/wiki/docs/x');
    assert.strictEqual(check.status, 403);
    assert.strictEqual((await api.operator('GET', '/v1/tasks/' + task.taskId)).body.state, 'revoked');
  }
  // Gateways and MCP proxies follow the revocation stream: a replay names the whole tree.
  const events = await api.revocationEvents(0);
  const event = events.find((e) => e.scope === 'task' && e.value === root.taskId);
  assert.ok(event, JSON.stringify(events));
  for (const t of [root, taskB, taskC]) assert.ok(event.tasks.includes(t.taskId), JSON.stringify(event));
  // A revoked parent hands nothing on.
  const late = await api.delegate(a, root, { agent: OPS('d'), steps: ['read'] });
  assert.notStrictEqual(late.status, 201);
});

test('revoking an agent: an enforcement point that replays the stream gets its tasks and what they delegated', async () => {
  const [x, y] = [await newAgent(), await newAgent()];
  const own = await server.startTask(x, OPS('x'), 'ops');
  const handed = await api.delegate(x, own, { agent: OPS('y'), steps: [{ id: 'read', max_calls: 2 }] });
  assert.strictEqual(handed.status, 201, JSON.stringify(handed.body));
  const child = await server.startTask(y, OPS('y'), undefined, {}, { delegated_task: handed.body.task_id });
  const other = await server.startTask(await newAgent(), OPS('z'), 'ops');
  const revoked = await api.operator('POST', '/v1/revocations', { scope: 'agent', value: OPS('x'), reason: 'test' });
  assert.strictEqual(revoked.status, 201, JSON.stringify(revoked.body));
  assert.deepStrictEqual(revoked.body.tasks.sort(), [own.taskId, child.taskId].sort());
  // The live event listed them as they ended; the replay (after a reconnect) must too, or held
  // step credentials of these tasks would pass at an enforcement point that missed it.
  const events = await api.revocationEvents(revoked.body.revocation_id - 1);
  assert.strictEqual(events.length, 1, JSON.stringify(events));
  assert.strictEqual(events[0].scope, 'agent');
  assert.deepStrictEqual(events[0].tasks.sort(), [own.taskId, child.taskId].sort());
  assert.ok(!events[0].tasks.includes(other.taskId));
  // A task the agent starts after the revocation is not in its reach.
  const fresh = await server.startTask(x, OPS('x'), 'ops');
  const replayed = await api.revocationEvents(revoked.body.revocation_id - 1);
  assert.deepStrictEqual(replayed[0].tasks.sort(), events[0].tasks);
  assert.ok(!replayed[0].tasks.includes(fresh.taskId));
});

test('a restart keeps a delegated task with its grant and its actor chain', async () => {
  const p = await planner();
  const r = await api.delegate(p.agent, p.task, { agent: TESTER, steps: [{ id: 'run_tests', max_calls: 1 }] });
  assert.strictEqual(r.status, 201, JSON.stringify(r.body));
  const tester = await newAgent();
  const child = await server.startTask(tester, TESTER, undefined, {}, { delegated_task: r.body.task_id });
  await new Promise((resolve) => { server.child.on('exit', resolve); server.close(); });
  fs.rmSync(path.join(dir, 'port'));
  server = await startRealAuthority(bin, dir, {
    mandates, checkRoutes: routes, extraArgs: ['--governance', path.join(dir, 'governance.yaml')] });
  api.server = server;
  const run = await api.call(tester, child, 'ci', 'POST', '/pipelines/api/runs');
  assert.strictEqual(run.decision, 'allow', JSON.stringify(run));
  const claims = JSON.parse(Buffer.from(run.credential.split('.')[1], 'base64url'));
  assert.deepStrictEqual(claims.act, { sub: PLANNER });
  const again = await api.call(tester, child, 'ci', 'POST', '/pipelines/api/runs');
  assert.strictEqual(again.reasons[0].code, 'delegation.budget_exhausted');
});
