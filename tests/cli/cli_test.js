// The task commands, `authorize` and `explain` of the real binary against the real server
// (`mandate serve` on the example mandates, agents proving themselves with a dev trust domain):
// what they print, their exit codes, and that `explain` never changes state.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const bin = path.resolve(process.env.MANDATE_BIN || process.argv[2]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-cli-'));
const data = path.join(dir, 'data');
const trustKey = path.join(dir, 'trust/svid-issuer.key.json');
const payments = path.resolve('examples/mandates/payments.yaml');
const PAYER = 'spiffe://example.org/agents/payments/cli';
let server, url;

function run(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30000 });
  let json = null;
  try { json = JSON.parse(r.stdout); } catch (e) { /* not JSON: the text form */ }
  return { code: r.status, out: r.stdout, err: r.stderr, json };
}
const srv = () => ['--server', url];
const agentDir = (name) => ['--agent-dir', path.join(dir, name)];
const admin = ['--admin-token-file', path.join(data, 'admin.token')];
function start(agent, mandate, inputs, spiffe = PAYER) {
  const r = run('task', 'start', ...srv(), ...agentDir(agent), '--mandate', mandate,
    '--inputs', JSON.stringify(inputs), '--dev-trust-key', trustKey, '--spiffe-id', spiffe);
  assert.strictEqual(r.code, 0, r.err + r.out);
  return r.json;
}
function authorize(agent, task, system, action, resource, args) {
  const extra = args ? ['--args', JSON.stringify(args)] : [];
  return run('authorize', ...srv(), ...agentDir(agent), '--task', task, '--system', system,
    '--action', action, '--resource', resource, ...extra);
}
function explain(task, system, action, resource, args) {
  const r = run('explain', ...srv(), ...admin, '--task', task, '--system', system, '--action',
    action, '--resource', resource, '--args', JSON.stringify(args || {}), '--json');
  assert.ok(r.json, r.err + r.out);
  return r;
}
const auditLines = () =>
  run('audit', 'export', '--data', data).out.trim().split('\n').filter(Boolean).length;
const stage = (why, name) => why.stages.filter((s) => s.stage === name);

test.before(async () => {
  assert.strictEqual(run('dev', 'trust-domain', '--trust-domain', 'example.org', '--out',
    path.join(dir, 'trust')).code, 0);
  const portFile = path.join(dir, 'port');
  server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--port-file', portFile,
    '--mandates', 'examples/mandates', '--data', data,
    '--trust-bundle', `spiffe://example.org=${path.join(dir, 'trust/bundle.json')}`],
  { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 600 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  url = 'http://127.0.0.1:' + fs.readFileSync(portFile, 'utf8').trim();
});
test.after(() => {
  if (server) server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('task start keeps the token out of the terminal; authorize exits 0 only on allow', () => {
  const started = start('a1', 'payments', { payee: 'acme', cap: 500 });
  assert.match(started.task_id, /^t_[0-9a-f]{16}$/);
  assert.strictEqual(started.task_token, undefined);
  assert.strictEqual(fs.statSync(started.task_token_file).mode & 0o777, 0o600);
  assert.strictEqual(fs.statSync(path.join(dir, 'a1/key.json')).mode & 0o777, 0o600);
  const ok = authorize('a1', started.task_id, 'bank', 'GET', '/accounts/main/balance');
  assert.strictEqual(ok.code, 0, ok.err);
  assert.strictEqual(ok.json.decision, 'allow');
  assert.strictEqual(ok.json.step, 'get_balance');
  assert.match(ok.json.credential, /^ey/);
  const status = run('task', 'status', ...srv(), ...agentDir('a1'), started.task_id);
  assert.strictEqual(status.code, 0, status.err);
  assert.strictEqual(status.json.state, 'active');
  assert.strictEqual(status.json.calls, 1);
  const paid = authorize('a1', started.task_id, 'bank', 'POST', '/payees/acme/payments', { amount: 100, reference: 'r' });
  assert.strictEqual(paid.json.step, 'pay_small');
  const done = run('task', 'complete', ...srv(), ...agentDir('a1'), started.task_id, '--reason', 'paid');
  assert.strictEqual(done.code, 0, done.err);
  assert.strictEqual(done.json.state, 'completed');
  const after = authorize('a1', started.task_id, 'bank', 'GET', '/accounts/main/balance');
  assert.strictEqual(after.code, 1);
  assert.strictEqual(after.json.decision, 'deny');
  const again = run('task', 'complete', ...srv(), ...agentDir('a1'), started.task_id);
  assert.strictEqual(again.code, 1);
  assert.ok(again.json.error.code, again.out);
});

test('explain walks every stage and changes nothing', () => {
  const t = start('a2', 'payments', { payee: 'acme', cap: 500 });
  assert.strictEqual(authorize('a2', t.task_id, 'bank', 'GET', '/accounts/main/balance').code, 0);
  const before = run('task', 'status', ...srv(), ...admin, '--operator', t.task_id).json;
  const records = auditLines();

  const allow = explain(t.task_id, 'bank', 'POST', '/payees/acme/payments', { amount: 100, reference: 'r' });
  assert.strictEqual(allow.code, 0);
  assert.strictEqual(allow.json.decision, 'allow');
  assert.strictEqual(allow.json.step, 'pay_small');
  assert.deepStrictEqual(allow.json.stages.slice(0, 4).map((s) => [s.stage, s.result]),
    [['authenticate', 'skip'], ['task', 'pass'], ['revocation', 'pass'], ['deadline', 'pass']]);
  assert.deepStrictEqual(stage(allow.json, 'guard').map((s) => [s.rule, s.result]), [['step.pay_small', 'satisfied']]);
  assert.ok(stage(allow.json, 'policy').some((s) => s.rule === 'policy.positive-amounts' && s.result === 'not_satisfied'));
  assert.strictEqual(stage(allow.json, 'budget')[0].result, 'pass');
  assert.strictEqual(stage(allow.json, 'decision')[0].result, 'allow');

  // Over the cap the human set: the guard of pay_small does not hold.
  const over = explain(t.task_id, 'bank', 'POST', '/payees/acme/payments', { amount: 600, reference: 'r' });
  assert.strictEqual(over.code, 1);
  assert.strictEqual(over.json.decision, 'deny');
  assert.strictEqual(over.json.reasons[0].code, 'guard.unsatisfied');
  assert.deepStrictEqual(stage(over.json, 'guard').map((s) => s.result), ['not_satisfied']);
  assert.strictEqual(over.json.task_revoked, true);

  // A payee the human did not name: no step matches, a deviation that would revoke the task.
  const other = explain(t.task_id, 'bank', 'POST', '/payees/mallory/payments', { amount: 5, reference: 'r' });
  assert.strictEqual(other.json.decision, 'deny');
  assert.strictEqual(stage(other.json, 'chain')[0].result, 'fail');
  assert.match(other.json.reasons[0].code, /^chain\./);
  assert.strictEqual(other.json.task_revoked, true);

  // The text form names each stage.
  const text = run('explain', ...srv(), ...admin, '--task', t.task_id, '--system', 'bank', '--action', 'GET', '--resource', '/nope');
  assert.strictEqual(text.code, 1);
  for (const s of ['authenticate', 'task', 'revocation', 'deadline', 'chain', 'decision']) assert.match(text.out, new RegExp('^  ' + s + ' ', 'm'));

  // Nothing changed: same task state and progress, no audit record, the task still works.
  assert.deepStrictEqual(run('task', 'status', ...srv(), ...admin, '--operator', t.task_id).json, before);
  assert.strictEqual(auditLines(), records);
  const still = authorize('a2', t.task_id, 'bank', 'POST', '/payees/acme/payments', { amount: 100, reference: 'r' });
  assert.strictEqual(still.json.decision, 'allow');
});

test('explain of an ended task, an unknown task, and without the operator token', () => {
  const t = start('a3', 'payments', { payee: 'acme', cap: 500 });
  const revoked = run('task', 'revoke', ...srv(), ...admin, t.task_id, '--reason', 'test');
  assert.strictEqual(revoked.code, 0, revoked.err);
  assert.deepStrictEqual(revoked.json.tasks, [t.task_id]);
  const ended = explain(t.task_id, 'bank', 'GET', '/accounts/main/balance');
  assert.strictEqual(ended.json.decision, 'deny');
  assert.strictEqual(ended.json.reasons[0].code, 'revocation.task');
  assert.strictEqual(stage(ended.json, 'task')[0].result, 'fail');
  const unknown = run('explain', ...srv(), ...admin, '--task', 't_00000000000000ff', '--system', 'bank', '--action', 'GET');
  assert.strictEqual(unknown.code, 1);
  assert.match(unknown.err, /task\.unknown/);
  fs.writeFileSync(path.join(dir, 'wrong.token'), 'not-the-token\n');
  const wrong = run('explain', ...srv(), '--admin-token-file', path.join(dir, 'wrong.token'), '--task', t.task_id, '--system', 'bank', '--action', 'GET');
  assert.strictEqual(wrong.code, 1);
  assert.match(wrong.err, /authentication\.operator/);
});

test('task fail and revoke as the operator; status of ended and unknown tasks', () => {
  const t = start('a4', 'payments', { payee: 'acme', cap: 500 });
  const failed = run('task', 'fail', ...srv(), ...admin, '--operator', t.task_id, '--reason', 'upstream down');
  assert.strictEqual(failed.code, 0, failed.err);
  assert.strictEqual(failed.json.state, 'failed');
  assert.strictEqual(run('task', 'status', ...srv(), ...agentDir('a4'), t.task_id).json.state, 'failed');
  const unknown = run('task', 'status', ...srv(), ...admin, '--operator', 't_00000000000000ff');
  assert.strictEqual(unknown.code, 1);
  assert.strictEqual(unknown.json.error.code, 'task.unknown');
  const bad = run('task', 'start', ...srv(), ...agentDir('a4'), '--mandate', 'payments', '--inputs', '[1]', '--dev-trust-key', trustKey, '--spiffe-id', PAYER);
  assert.strictEqual(bad.code, 2);  // a usage error (docs/cli.md)
  assert.match(bad.err, /--inputs must be a JSON object/);
  const notAllowed = run('task', 'start', ...srv(), ...agentDir('a4'), '--mandate', 'payments', '--inputs', '{"payee":"acme","cap":1}', '--dev-trust-key', trustKey, '--spiffe-id', 'spiffe://example.org/other');
  assert.strictEqual(notAllowed.code, 1);
  assert.strictEqual(notAllowed.json.error.code, 'mandate.agent_not_allowed');
  const noToken = authorize('a4', 't_00000000000000aa', 'bank', 'GET', '/');
  assert.strictEqual(noToken.code, 1);
  assert.match(noToken.err, /agent\.no_task_token/);
  const down = run('task', 'status', '--server', 'http://127.0.0.1:1', ...admin, '--operator', t.task_id);
  assert.strictEqual(down.code, 1);
  assert.match(down.err, /http\.client\.connect/);
});

test('explain offline: a mandate file and the steps done, with no server', () => {
  const base = ['explain', '--mandate', payments, '--inputs', '{"payee":"acme","cap":5000}',
    '--system', 'bank', '--action', 'POST', '--resource', '/payees/acme/payments'];
  const small = run(...base, '--progress', 'get_balance', '--args', '{"amount":100,"reference":"r"}');
  assert.strictEqual(small.code, 0, small.err + small.out);
  assert.match(small.out, /^  authenticate +skip +offline/m);
  assert.match(small.out, /^  decision +allow +allow as step `pay_small`/m);
  // Large amounts branch to ask_approval: paying now fails the branch condition.
  const large = run(...base, '--progress', 'get_balance', '--args', '{"amount":2000,"reference":"r"}', '--json');
  assert.strictEqual(large.code, 1);
  assert.strictEqual(large.json.decision, 'deny');
  assert.ok(stage(large.json, 'order').some((s) => s.rule === 'order.get_balance.pay_small' && s.result === 'satisfied'), large.out);
  assert.ok(stage(large.json, 'candidate').some((s) => s.rule === 'pay_large' && s.result === 'fail'));
  // Paying before reading the balance is out of order.
  const early = run(...base, '--args', '{"amount":100,"reference":"r"}', '--json');
  assert.strictEqual(early.json.decision, 'deny');
  assert.match(early.json.reasons[0].code, /^chain\./);
  // Five rounds of balance and payment: the loop bound stops the sixth.
  const rounds = Array(5).fill('get_balance,pay_small').join(',');
  const sixth = run('explain', '--mandate', payments, '--inputs', '{"payee":"acme","cap":5000}', '--progress', rounds,
    '--system', 'bank', '--action', 'GET', '--resource', '/accounts/main/balance', '--json');
  assert.strictEqual(sixth.json.decision, 'deny');
  assert.ok(['chain.loop_bound', 'chain.budget_exhausted'].includes(sixth.json.reasons[0].code), sixth.out);
  const invalid = run(...base, '--progress', 'pay_small');
  assert.strictEqual(invalid.code, 1);
  assert.match(invalid.err, /explain\.invalid_progress/);
  const unknownStep = run(...base, '--progress', 'no_such_step');
  assert.match(unknownStep.err, /has no step `no_such_step`/);
  const badInputs = run('explain', '--mandate', payments, '--inputs', '{"payee":1}', '--system', 'bank', '--action', 'GET');
  assert.strictEqual(badInputs.code, 1);
  assert.match(badInputs.err, /task\.(invalid|missing)_input/);
  const usage = run('explain', '--system', 'bank', '--action', 'GET');
  assert.strictEqual(usage.code, 2);
});
