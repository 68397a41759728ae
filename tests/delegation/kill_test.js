// The kill switch and ownership over the real `mandate serve`: `mandate kill` by agent, owner,
// mandate and all, with its confirmation, revokes every task in scope and what those tasks
// delegated, at /v1/authorize and at /v1/check; `mandate owners report` lists the mandates,
// agents and live tasks without a known owner.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { newAgent } = require('../enforce/agent.js');
const { startRealAuthority } = require('../enforce/real_authority.js');
const { Api, exampleMandates, wikiRoutes, agents } = require('./api.js');

const bin = process.env.MANDATE_BIN || process.argv[2];
const mandates = exampleMandates();
const { PLANNER, OPS } = agents;
const routes = wikiRoutes;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-kill-'));
const governanceFile = path.join(dir, 'governance.yaml');
let server, api;

test.before(async () => {
  fs.writeFileSync(governanceFile, 'owners: [release-lead@example.com]\n');
  server = await startRealAuthority(bin, dir, { mandates, checkRoutes: routes,
    extraArgs: ['--governance', governanceFile] });
  api = new Api(server, dir);
});
test.after(() => server && server.close());

function cli(args, input) {
  return new Promise((resolve) => {
    const child = execFile(bin, args, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }));
    child.stdin.end(input === undefined ? '' : input);
  });
}
const kill = (args, input) => cli(['kill', ...args, '--server', server.url,
  '--token-file', path.join(dir, 'data/admin.token')], input);

async function opsTask(name) {
  const agent = await newAgent();
  return { agent, task: await server.startTask(agent, OPS(name), 'ops') };
}
async function alive(t) {
  const d = await api.call(t.agent, t.task, 'wiki', 'GET', '/docs/x');
  const check = await api.check(t.agent, t.task, '/wiki/docs/x');
  assert.strictEqual(check.status === 200, d.decision === 'allow', 'authorize and check agree');
  return d.decision === 'allow';
}

test('mandate owners report lists what has no known owner', async () => {
  const t = await opsTask('owned');
  const r = await cli(['owners', 'report', '--mandates', path.join(dir, 'mandates'),
    '--data', path.join(dir, 'data'), '--governance', governanceFile]);
  assert.strictEqual(r.code, 1, r.stderr);
  assert.match(r.stdout, /^mandate\tops@1\.0\.0\towner `ops-team@example\.com` unknown$/m);
  assert.match(r.stdout, /^agent\tspiffe:\/\/example\.org\/agents\/ops\/\*\towner `ops-team@example\.com` unknown/m);
  assert.match(r.stdout, new RegExp('^task\\t' + t.task.taskId + '\\towner `ops-team@example.com` unknown', 'm'));
  assert.doesNotMatch(r.stdout, /release-planner/);
  fs.writeFileSync(path.join(dir, 'all-known.yaml'), 'owners: [release-lead@example.com, ops-team@example.com]\n');
  const clean = await cli(['owners', 'report', '--mandates', path.join(dir, 'mandates'),
    '--data', path.join(dir, 'data'), '--governance', path.join(dir, 'all-known.yaml')]);
  assert.strictEqual(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /^0 without a known owner/m);
});

test('kill --agent asks first, then revokes the agent\'s tasks and what they delegated', async () => {
  const a = await opsTask('k1');
  const a2 = await opsTask('k1');
  const other = await opsTask('k2');
  // a delegated to k3: the child dies with its parent.
  const handoff = await api.delegate(a.agent, a.task, { agent: OPS('k3'), steps: ['read'] });
  assert.strictEqual(handoff.status, 201, JSON.stringify(handoff.body));
  const childAgent = await newAgent();
  const child = { agent: childAgent, task: await server.startTask(childAgent, OPS('k3'), undefined, {},
    { delegated_task: handoff.body.task_id }) };
  assert.ok(await alive(child));

  const refused = await kill(['--agent', OPS('k1')], 'no\n');
  assert.strictEqual(refused.code, 1);
  assert.match(refused.stderr, /not confirmed/);
  assert.ok(await alive(a));

  const done = await kill(['--agent', OPS('k1')], 'yes\n');
  assert.strictEqual(done.code, 0, done.stderr);
  for (const t of [a, a2, child]) {
    assert.strictEqual(await alive(t), false);
    assert.match(done.stdout, new RegExp(t.task.taskId));
  }
  assert.ok(await alive(other));
  // The kill holds for tasks the agent held; a task started afterwards is governed as usual.
  assert.ok(await alive(await opsTask('k1')));
});

test('kill --mandate, --owner and --all', async () => {
  const ops1 = await opsTask('m1');
  const pa = await newAgent();
  const planner = { agent: pa, task: await server.startTask(pa, PLANNER, 'release-planner', { service: 'api' }) };
  const r = await kill(['--mandate', 'ops', '--yes']);
  assert.strictEqual(r.code, 0, r.stderr);
  assert.strictEqual(await alive(ops1), false);
  const view = await api.operator('GET', '/v1/tasks/' + planner.task.taskId);
  assert.strictEqual(view.body.state, 'active');

  const ops2 = await opsTask('m2');
  assert.strictEqual((await kill(['--owner', 'ops-team@example.com', '-y'])).code, 0);
  assert.strictEqual(await alive(ops2), false);
  assert.strictEqual((await api.operator('GET', '/v1/tasks/' + planner.task.taskId)).body.state, 'active');

  const ops3 = await opsTask('m3');
  assert.strictEqual((await kill(['--all', '--yes'])).code, 0);
  assert.strictEqual(await alive(ops3), false);
  assert.strictEqual((await api.operator('GET', '/v1/tasks/' + planner.task.taskId)).body.state, 'revoked');
  // Usage errors: no scope, two scopes.
  assert.strictEqual((await kill(['--yes'])).code, 2);
  assert.notStrictEqual((await kill(['--agent', 'x', '--all', '--yes'])).code, 0);
});

test('a malformed governance file stops the server at start with a precise error', async () => {
  const cases = [['owners: 3\n', 'owners'], ['webhooks: [{url: ftp://x}]\n', 'url'],
    ['mandate_approvers: {ops: nobody}\n', 'unknown group'], ['surprise: 1\n', 'surprise'],
    ['delegation_policies: "forbid ("\n', 'delegation policies'], ['[unclosed\n', 'governance']];
  for (const [text, what] of cases) {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, text);
    const r = await cli(['serve', '--listen', '127.0.0.1:0', '--mandates', path.join(dir, 'mandates'),
      '--data', path.join(dir, 'bad-data'), '--governance', file]);
    assert.strictEqual(r.code, 1, text);
    assert.ok(r.stderr.includes(what), text + ' -> ' + r.stderr);
  }
});
