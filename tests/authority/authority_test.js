// The authority over HTTP, end to end with the real `mandate serve`: order, a branch on live
// data, a loop bound, budgets, guards over task inputs, the pii taint rule, deadline expiry with
// no call, deviation revocation, shadow mode, restart (tasks, revocations and progress kept),
// kill -9 during decisions losing no acknowledged audit record, hostile input, GET /metrics,
// revoked tasks' step credentials and tamper detection on the live store. docs/testing.md maps
// each acceptance point of the authority to its case here.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { newAgent } = require('../enforce/agent.js');
const { startRealAuthority } = require('../enforce/real_authority.js');
const { parsePrometheusText, sampleValue } = require('./prometheus_text.js');

const bin = process.env.MANDATE_BIN || process.argv[2];
const examples = path.join(__dirname, '../../examples/mandates');
const mandates = {};
for (const f of ['payments.yaml', 'data-export.yaml', 'demo-deadline.yaml']) {
  mandates[f] = fs.readFileSync(path.join(examples, f), 'utf8');
}
// The payments chain in shadow mode: decide and record, but let deviations through.
mandates['payments-shadow.yaml'] = mandates['payments.yaml']
  .replace('name: payments', 'name: payments-shadow').replace('on_deviation: revoke', 'mode: shadow');

const PAYER = 'spiffe://example.org/agents/payments/p1';
const REPORTER = 'spiffe://example.org/agents/reporting';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-authority-'));
let server;

async function call(agent, task, system, action, resource, args) {
  const url = server.url + '/v1/authorize';
  const r = await fetch(url, { method: 'POST', headers: {
    authorization: 'DPoP ' + task.token, dpop: await agent.proof('POST', url, task.token),
    'content-type': 'application/json' }, body: JSON.stringify({ system, action, resource, args }) });
  assert.strictEqual(r.status, 200, await r.clone().text());
  return r.json();
}
const balance = (a, t) => call(a, t, 'bank', 'GET', '/accounts/main/balance');
const pay = (a, t, payee, amount) =>
  call(a, t, 'bank', 'POST', `/payees/${payee}/payments`, { amount, reference: 'r' });
async function operator(method, p, body) {
  const token = fs.readFileSync(path.join(dir, 'data/admin.token'), 'utf8').trim();
  const r = await fetch(server.url + p, { method, headers: { authorization: 'Bearer ' + token,
    'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

test.before(async () => { server = await startRealAuthority(bin, dir, { mandates }); });
test.after(() => server && server.close());

test('a chain allowed step by step, and a branch chosen by the amount of the call', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 5000 });
  assert.strictEqual((await balance(agent, task)).decision, 'allow');
  const small = await pay(agent, task, 'acme', 100);
  assert.strictEqual(small.decision, 'allow');
  assert.strictEqual(small.step, 'pay_small');
  assert.match(small.credential, /^ey/);
  assert.strictEqual((await balance(agent, task)).decision, 'allow');
  // Over 1000 the branch leads to ask_approval, not to a payment: paying now deviates.
  const large = await pay(agent, task, 'acme', 2000);
  assert.strictEqual(large.decision, 'deny');
  assert.strictEqual(large.task_revoked, true);
  // The ended task has left memory: the store's copy still says what it did.
  const view = await operator('GET', '/v1/tasks/' + task.taskId);
  assert.strictEqual(view.body.state, 'revoked');
  assert.strictEqual(view.body.calls, 3);
  assert.deepStrictEqual(view.body.steps_done, { get_balance: 2, pay_small: 1 });
});

test('order is enforced and a deviation revokes the task', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  const early = await pay(agent, task, 'acme', 10);
  assert.strictEqual(early.decision, 'deny');
  assert.strictEqual(early.reasons[0].check, 'chain');
  assert.strictEqual(early.task_revoked, true);
  const after = await balance(agent, task);
  assert.strictEqual(after.decision, 'deny');
  assert.strictEqual(after.reasons[0].check, 'revocation');
  const view = await operator('GET', '/v1/tasks/' + task.taskId);
  assert.strictEqual(view.body.state, 'revoked');
});

test('guards over task inputs: the payee and the cap come from the human', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 50 });
  await balance(agent, task);
  const other = await pay(agent, task, 'mallory', 10);
  assert.strictEqual(other.decision, 'deny');
  const agent2 = await newAgent();
  const task2 = await server.startTask(agent2, PAYER, 'payments', { payee: 'acme', cap: 50 });
  await balance(agent2, task2);
  const over = await pay(agent2, task2, 'acme', 60);
  assert.strictEqual(over.decision, 'deny');
  assert.strictEqual(over.reasons[0].check, 'guard');
});

test('a loop bound: at most five rounds of balance and payment', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  for (let i = 0; i < 5; i++) {
    assert.strictEqual((await balance(agent, task)).decision, 'allow', 'round ' + i);
    assert.strictEqual((await pay(agent, task, 'acme', 1)).decision, 'allow', 'round ' + i);
  }
  const sixth = await balance(agent, task);
  assert.strictEqual(sixth.decision, 'deny');
  assert.ok(['chain.loop_bound', 'chain.budget_exhausted'].includes(sixth.reasons[0].code), sixth.reasons[0].code);
});

test('a step budget is exhausted', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, 'spiffe://example.org/agents/status', 'demo-deadline');
  for (let i = 0; i < 3; i++) assert.strictEqual((await call(agent, task, 'status', 'GET', '/status')).decision, 'allow');
  const fourth = await call(agent, task, 'status', 'GET', '/status');
  assert.strictEqual(fourth.decision, 'deny');
  assert.strictEqual(fourth.reasons[0].code, 'chain.budget_exhausted');
});

test('the taint rule: after reading pii, nothing external', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, REPORTER, 'data-export', { month: '2026-10', segment: 'smb' });
  assert.strictEqual((await call(agent, task, 'crm', 'GET', '/segments/smb/customers')).decision, 'allow');
  const out = await call(agent, task, 'web', 'post_summary', 'https://status.example.com/reports/2026-10', { text: 'x' });
  assert.strictEqual(out.decision, 'deny');
  assert.strictEqual(out.reasons[0].rule, 'policy.no-external-after-pii');
});

test('a deadline revokes the task by itself, with no call', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, 'spiffe://example.org/agents/status', 'demo-deadline');
  await new Promise((r) => setTimeout(r, 3000));
  const view = await operator('GET', '/v1/tasks/' + task.taskId);
  assert.strictEqual(view.body.state, 'expired');
});

test('shadow mode records a deviation and lets it through', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments-shadow', { payee: 'acme', cap: 500 });
  const early = await pay(agent, task, 'acme', 10);
  assert.strictEqual(early.decision, 'allow');
  assert.strictEqual(early.shadow, true);
  assert.strictEqual(early.reasons[0].check, 'chain');
});

test('hostile input gets a JSON error and never an allow', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  const url = server.url + '/v1/authorize';
  const send = async (body, headers = {}) => {
    const r = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP ' + task.token,
      dpop: await agent.proof('POST', url, task.token), ...headers }, body });
    const text = await r.text();
    return { status: r.status, json: JSON.parse(text) };
  };
  for (const [body, code] of [['{', 'json.invalid'], ['[]', 'request.invalid'],
    ['{"system":"bank","system":"x","action":"GET"}', 'json.invalid'], ['{"action":"GET"}', 'request.missing_field'],
    ['{"system":"bank","action":"GET","args":[1]}', 'request.invalid_field']]) {
    const r = await send(body);
    assert.strictEqual(r.status, 400, body);
    assert.strictEqual(r.json.error.code, code, body);
  }
  // Over the body limit: 413, or the server closes the connection before reading it all.
  try {
    const big = await send(JSON.stringify({ system: 'bank', action: 'GET', args: { x: 'a'.repeat(2 << 20) } }));
    assert.strictEqual(big.status, 413);
    assert.strictEqual(big.json.error.code, 'http.body_too_large');
  } catch (e) {
    assert.match(String(e.cause || e), /(EPIPE|ECONNRESET|other side closed|SocketError)/);
  }
  // A wrong token, a replayed proof, no proof: authentication denies.
  const wrong = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP x.y.z', dpop: await agent.proof('POST', url) },
    body: '{"system":"bank","action":"GET","resource":"/accounts/main/balance"}' });
  assert.strictEqual((await wrong.json()).decision, 'deny');
  const proof = await agent.proof('POST', url, task.token);
  const once = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP ' + task.token, dpop: proof },
    body: '{"system":"bank","action":"GET","resource":"/accounts/main/balance"}' });
  assert.strictEqual((await once.json()).decision, 'allow');
  const replay = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP ' + task.token, dpop: proof, connection: 'close' },
    body: '{"system":"bank","action":"GET","resource":"/accounts/main/balance"}' });
  const replayed = await replay.json();
  assert.strictEqual(replayed.decision, 'deny');
  assert.strictEqual(replayed.reasons[0].check, 'authentication');
  const unknown = await operator('GET', '/v1/tasks/t_00000000000000ff');
  assert.strictEqual(unknown.status, 404);
  assert.strictEqual(unknown.body.error.code, 'task.unknown');
});

// One keep-alive connection (an http.Agent with a single socket): after one call with a proof,
// the connection is bound to that token and later calls may omit the proof; a revocation still
// denies the very next one, and another token, or another connection, needs a proof again.
test('a bound connection: proofs may be omitted for its token, revocation still denies at once', async () => {
  const http = require('node:http');
  const url = new URL(server.url + '/v1/authorize');
  const body = '{"system":"bank","action":"GET","resource":"/accounts/main/balance"}';
  const post = (socket, token, proof, payload = body) => new Promise((resolve, reject) => {
    const headers = { authorization: 'DPoP ' + token, 'content-type': 'application/json' };
    if (proof) headers.dpop = proof;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      agent: socket, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end(payload);
  });
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  const other = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.strictEqual((await post(kept, task.token)).reasons[0].check, 'authentication',
      'no proof before the connection is bound');
    assert.strictEqual((await post(kept, task.token, await agent.proof('POST', url.href, task.token))).decision, 'allow');
    const payment = '{"system":"bank","action":"POST","resource":"/payees/acme/payments","args":{"amount":100,"reference":"r"}}';
    const bound = await post(kept, task.token, undefined, payment);
    assert.strictEqual(bound.decision, 'allow', 'bound: the proof may be omitted: ' + JSON.stringify(bound));
    const another = await post(kept, other.token);
    assert.strictEqual(another.decision, 'deny', 'another token on the bound connection needs its own proof');
    assert.strictEqual(another.reasons[0].check, 'authentication');
    const fresh = new http.Agent({ keepAlive: false });
    assert.strictEqual((await post(fresh, task.token)).reasons[0].check, 'authentication',
      'another connection needs a proof');
    await operator('POST', '/v1/revocations', { scope: 'task', value: task.taskId, reason: 'test' });
    const revoked = await post(kept, task.token);
    assert.strictEqual(revoked.decision, 'deny');
    assert.strictEqual(revoked.reasons[0].check, 'revocation');
  } finally {
    kept.destroy();
  }
});

// `--bound-connections 0` (an authority behind a proxy that pools connections): a proof
// binds nothing, so a later call on the same keep-alive connection must prove again.
test('with --bound-connections 0 every call must carry its proof', async () => {
  const http = require('node:http');
  const unboundDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-unbound-'));
  const unbound = await startRealAuthority(bin, unboundDir, { mandates, quiet: true,
    extraArgs: ['--bound-connections', '0'] });
  const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const url = new URL(unbound.url + '/v1/authorize');
    const agent = await newAgent();
    const task = await unbound.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
    const post = (proof) => new Promise((resolve, reject) => {
      const headers = { authorization: 'DPoP ' + task.token, 'content-type': 'application/json' };
      if (proof) headers.dpop = proof;
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname,
        method: 'POST', agent: kept, headers }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.end('{"system":"bank","action":"GET","resource":"/accounts/main/balance"}');
    });
    assert.strictEqual((await post(await agent.proof('POST', url.href, task.token))).decision, 'allow');
    const later = await post();
    assert.strictEqual(later.decision, 'deny');
    assert.strictEqual(later.reasons[0].check, 'authentication');
  } finally {
    kept.destroy();
    unbound.close();
  }
});

test('a restart keeps tasks, their progress and revocations; kill -9 loses no acknowledged decision', async () => {
  const agent = await newAgent();
  const live = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  assert.strictEqual((await balance(agent, live)).decision, 'allow');
  const doomed = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  await operator('POST', '/v1/revocations', { scope: 'task', value: doomed.taskId, reason: 'test' });
  // An enforcement point's audit batch, appended: should its answer be lost to the crash, the
  // enforcement point resends it to the restarted authority, which must not append it twice.
  const deliver = async (batch) => {
    const r = await fetch(server.url + '/v1/ep/audit', { method: 'POST', body: JSON.stringify(batch),
      headers: { authorization: 'Bearer ' + fs.readFileSync(server.epTokenFile, 'utf8').trim(),
        'content-type': 'application/json' } });
    assert.strictEqual(r.status, 200, await r.clone().text());
    return r.json();
  };
  const held = { time_micros: Date.now() * 1000, decision: 'allow', system: 'bank', action: 'GET',
    resource: '/accounts/main/balance', task: live.taskId, credential: 'c1', proof: 'dpop' };
  const batch = { enforcement_point: 'gateway', instance: 'restart-test', first_sequence: 1, records: [held, held] };
  assert.deepStrictEqual(await deliver(batch), { appended: 2, skipped: 0, last_sequence: 2 });
  // Decisions in flight while the server is killed: every acknowledged one must be durable.
  const acked = [];
  let stop = false;
  const workers = [];
  for (let w = 0; w < 4; w++) {
    workers.push((async () => {
      const a = await newAgent();
      const t = await server.startTask(a, 'spiffe://example.org/agents/status', 'demo-deadline');
      while (!stop && acked.length < 10000) {
        try {
          const d = await call(a, t, 'status', 'GET', '/status');
          acked.push(d.audit_seq);
        } catch (e) { return; }
      }
    })());
  }
  // kill -9 in the middle of a run of 10,000 decisions (MANDATE_KILL9_DECISIONS to change it),
  // or after 45 s on a machine too slow to get there.
  const total = Number(process.env.MANDATE_KILL9_DECISIONS || 10000);
  for (let i = 0; i < 450 && acked.length < total / 2; i++) await new Promise((r) => setTimeout(r, 100));
  console.log(`kill -9 after ${acked.length} acknowledged decisions of a run of ${total}`);
  server.child.kill('SIGKILL');
  stop = true;
  await Promise.allSettled(workers);
  assert.ok(acked.length > 50, 'decisions acknowledged before the kill: ' + acked.length);
  const exported = execFileSync(bin, ['audit', 'export', '--data', path.join(dir, 'data')], { maxBuffer: 1 << 28 }).toString();
  const stored = new Set(exported.trim().split('\n').map((l) => JSON.parse(l).sequence));
  for (const seq of acked) assert.ok(stored.has(seq), 'acknowledged audit record ' + seq + ' is missing');
  execFileSync(bin, ['audit', 'verify', '--data', path.join(dir, 'data')]);

  fs.rmSync(path.join(dir, 'port'));
  server = await startRealAuthority(bin, dir, { mandates });
  const view = await operator('GET', '/v1/tasks/' + live.taskId);
  assert.strictEqual(view.body.state, 'active');
  assert.strictEqual(view.body.calls, 1);
  assert.strictEqual((await operator('GET', '/v1/tasks/' + doomed.taskId)).body.state, 'revoked');
  // The resent batch, and one more record: only the new one is appended.
  assert.deepStrictEqual(await deliver({ ...batch, records: [held, held, held] }),
    { appended: 1, skipped: 2, last_sequence: 3 });
  assert.strictEqual((await pay(agent, live, 'acme', 5)).decision, 'allow');
  const denied = await balance(agent, doomed);
  assert.strictEqual(denied.decision, 'deny');
});

async function metrics() {
  const r = await fetch(server.url + '/metrics');
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await r.text());
}

test('GET /metrics: strict Prometheus text with decisions, latency, live tasks, revocations and audit', async () => {
  const before = await metrics();
  const d = (m, outcome, reason) => sampleValue(m, 'mandate_decisions_total', { outcome, reason });
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 50 });
  assert.strictEqual((await balance(agent, task)).decision, 'allow');
  assert.strictEqual((await pay(agent, task, 'acme', 60)).reasons[0].check, 'guard');  // revokes
  const shadow = await server.startTask(agent, PAYER, 'payments-shadow', { payee: 'acme', cap: 50 });
  assert.strictEqual((await pay(agent, shadow, 'acme', 5)).shadow, true);
  const other = await newAgent();
  const killed = await server.startTask(other, PAYER + '-m', 'payments', { payee: 'acme', cap: 50 });
  assert.strictEqual((await operator('POST', '/v1/revocations', { scope: 'agent', value: PAYER + '-m' })).status, 201);
  const after = await metrics();
  for (const name of ['mandate_decisions_total', 'mandate_decision_seconds', 'mandate_live_tasks',
    'mandate_revocations_total', 'mandate_audit_records_appended_total', 'mandate_audit_queue_depth']) {
    assert.ok(after.get(name) && after.get(name).help, 'family ' + name + ' with its HELP');
  }
  assert.strictEqual(after.get('mandate_decision_seconds').type, 'histogram');
  assert.strictEqual(d(after, 'allow', 'none') - d(before, 'allow', 'none'), 1);
  assert.strictEqual(d(after, 'deny', 'guard') - d(before, 'deny', 'guard'), 1);
  assert.strictEqual(d(after, 'allow', 'chain') - d(before, 'allow', 'chain'), 1);  // the shadow allow
  assert.strictEqual(sampleValue(after, 'mandate_shadow_deviations_total', { reason: 'chain' }) -
    sampleValue(before, 'mandate_shadow_deviations_total', { reason: 'chain' }), 1);
  assert.strictEqual(sampleValue(after, 'mandate_decision_seconds_count') - sampleValue(before, 'mandate_decision_seconds_count'), 3);
  const rev = (m, scope) => sampleValue(m, 'mandate_revocations_total', { scope });
  assert.ok(rev(after, 'task') - rev(before, 'task') >= 1, 'the guard deviation revoked its task');
  assert.strictEqual(rev(after, 'agent') - rev(before, 'agent'), 1);
  assert.ok(sampleValue(after, 'mandate_live_tasks') >= 1);  // the shadow task
  // Three task starts, three decisions, lifecycle and revocation records: at least nine.
  assert.ok(sampleValue(after, 'mandate_audit_records_appended_total') -
    sampleValue(before, 'mandate_audit_records_appended_total') >= 9);
  assert.ok(sampleValue(after, 'mandate_audit_queue_depth') >= 0);
  assert.strictEqual((await operator('GET', '/v1/tasks/' + killed.taskId)).body.state, 'revoked');
});

test("a revoked task's step credentials are rejected (POST /v1/introspect)", async () => {
  const ep = fs.readFileSync(server.epTokenFile, 'utf8').trim();
  const introspect = async (token, audience, auth = 'Bearer ' + ep) => {
    const r = await fetch(server.url + '/v1/introspect', { method: 'POST', headers: { authorization: auth,
      'content-type': 'application/json' }, body: JSON.stringify({ token, audience }) });
    return { status: r.status, body: await r.json() };
  };
  const agent = await newAgent();
  const task = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  const allowed = await balance(agent, task);
  const bank = 'https://bank.example.org';
  const live = await introspect(allowed.credential, bank);
  assert.strictEqual(live.status, 200);
  assert.strictEqual(live.body.active, true);
  assert.strictEqual(live.body.task_id, task.taskId);
  assert.strictEqual(live.body.step, 'get_balance');
  assert.match(live.body.args, /^[A-Za-z0-9_-]{43}$/);  // the decided arguments' digest
  // Introspection admits it: a step credential admits one call, so it is spent now.
  assert.strictEqual((await introspect(allowed.credential, bank)).body.reason, 'credential.already_used');
  assert.strictEqual((await introspect(allowed.credential, 'https://approvals.example.org')).body.reason, 'jwt.aud_mismatch');
  assert.strictEqual((await introspect(allowed.credential, bank, 'Bearer wrong')).body.error.code, 'authentication.enforcement_point');
  assert.strictEqual((await introspect('x.y.z', bank)).body.active, false);
  assert.strictEqual((await introspect(task.token, bank)).body.active, false);  // a task token is no step credential
  await operator('POST', '/v1/revocations', { scope: 'task', value: task.taskId, reason: 'test' });
  const dead = await introspect(allowed.credential, bank);
  assert.deepStrictEqual(dead.body, { active: false, reason: 'revocation.task' });
  // Completion ends the credentials of a task as well.
  const task2 = await server.startTask(agent, PAYER, 'payments', { payee: 'acme', cap: 500 });
  const cred2 = (await balance(agent, task2)).credential;
  assert.strictEqual((await introspect(cred2, bank)).body.active, true);
  assert.strictEqual((await operator('POST', '/v1/tasks/' + task2.taskId + '/complete', {})).status, 200);
  assert.strictEqual((await introspect(cred2, bank)).body.reason, 'revocation.task');
});

test('hostile input on every route: a JSON error with a stable code, never a crash', async () => {
  const post = async (p, body, headers = {}) => {
    const r = await fetch(server.url + p, { method: 'POST', headers, body });
    const text = await r.text();
    return { status: r.status, code: JSON.parse(text).error?.code, body: JSON.parse(text) };
  };
  const admin = { authorization: 'Bearer ' + fs.readFileSync(path.join(dir, 'data/admin.token'), 'utf8').trim() };
  const cases = [
    ['/v1/tasks', '{', {}, 400, 'json.invalid'],
    ['/v1/tasks', '{"mandate":"payments"}', {}, 401, 'authentication.missing'],
    ['/v1/tasks', '{"mandate":"payments"}', { authorization: 'Bearer x.y.z' }, 401, null],
    ['/v1/tasks', '{"mandate":7}', { authorization: 'Bearer x' }, 400, 'request.invalid_field'],
    ['/v1/explain', '{}', {}, 401, 'authentication.operator'],
    ['/v1/explain', '{"task_id":"t_1"', admin, 400, 'json.invalid'],
    ['/v1/explain', '{"system":"bank","action":"GET"}', admin, 400, 'request.missing_field'],
    ['/v1/explain', '{"task_id":"t_00000000000000ff","system":"bank","action":"GET"}', admin, 404, 'task.unknown'],
    ['/v1/explain', '{"task_id":"nonsense","system":"bank","action":"GET"}', admin, 404, 'task.unknown'],
    ['/v1/introspect', '[]', admin, 400, 'request.invalid'],
    ['/v1/revocations', '{"scope":"galaxy","value":"x"}', admin, 400, null],
    ['/v1/revocations', '{"scope":"task"}', {}, 401, 'authentication.operator'],
    ['/v1/revocations', '{"scope":"task","value":"t_zz"}', admin, 404, 'task.unknown'],
    ['/v1/tasks/t_00000000000000ff/complete', '', admin, 404, 'task.unknown'],
    ['/v1/tasks/t_00000000000000ff/fail', '{"reason":5}', admin, 400, 'request.invalid_field'],
    ['/v1/no-such-route', '{}', {}, 404, 'http.not_found'],
  ];
  for (const [p, body, headers, status, code] of cases) {
    const r = await post(p, body, headers);
    assert.strictEqual(r.status, status, `${p} ${body}: ${JSON.stringify(r.body)}`);
    assert.match(r.code, /^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)+$/, `${p} ${body}: a stable dotted code`);
    if (code) assert.strictEqual(r.code, code, `${p} ${body}`);
  }
  try {
    const big = await post('/v1/tasks', JSON.stringify({ mandate: 'x'.repeat(2 << 20) }));
    assert.strictEqual(big.status, 413);
    assert.strictEqual(big.code, 'http.body_too_large');
  } catch (e) {
    assert.match(String(e.cause || e), /(EPIPE|ECONNRESET|other side closed|SocketError)/);
  }
  assert.strictEqual((await fetch(server.url + '/healthz')).status, 200);
  // An invalid mandate keeps the server from starting, naming the file, line and column.
  const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-bad-'));
  fs.mkdirSync(path.join(bad, 'mandates'));
  fs.writeFileSync(path.join(bad, 'mandates/broken.yaml'), mandates['payments.yaml'].replace('max_calls: 5', 'max_calls: 5\n    colour: red'));
  const r = require('node:child_process').spawnSync(bin, ['serve', '--listen', '127.0.0.1:0', '--mandates',
    path.join(bad, 'mandates'), '--data', path.join(bad, 'data')], { encoding: 'utf8', timeout: 20000 });
  fs.rmSync(bad, { recursive: true, force: true });
  assert.strictEqual(r.status, 1, r.stderr);
  assert.match(r.stderr, /mandate\.invalid/);
  assert.match(r.stderr, /broken\.yaml:\d+:\d+/);
  assert.match(r.stderr, /colour/);
});

test('tampering with one record of the real server\'s audit trail is detected', async () => {
  // An online backup (docs/operations.md: the database with SQLite's backup API, then the
  // audit files, heads first) of the live store, verified, then one decision record edited in
  // the copy's audit log.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-tamper-'));
  try {
    execFileSync('sqlite3', [path.join(dir, 'data/mandate.db'), `.backup '${path.join(copy, 'mandate.db')}'`]);
    const from = path.join(dir, 'data/mandate.db-audit'), to = path.join(copy, 'mandate.db-audit');
    fs.mkdirSync(to);
    for (const ext of ['.head', '.log']) {
      for (const f of fs.readdirSync(from).filter((f) => f.endsWith(ext))) fs.copyFileSync(path.join(from, f), path.join(to, f));
    }
    execFileSync(bin, ['audit', 'verify', '--data', copy]);
    const log = path.join(to, 'main.log');
    fs.writeFileSync(log, fs.readFileSync(log, 'utf8').replace('"decision":"allow"', '"decision":"deny"'));
    const r = require('node:child_process').spawnSync(bin, ['audit', 'verify', '--data', copy], { encoding: 'utf8' });
    assert.notStrictEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /audit\.record_edited/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
