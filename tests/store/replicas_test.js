// Two `mandate serve` replicas on one PostgreSQL database (the deployment docs/store.md
// describes): a revocation made through one replica holds at once on the other, for the tasks
// that replica holds, and reaches the enforcement points that follow the other's revocation
// stream. MANDATE_TEST_POSTGRES names the database (replicas.sh starts it).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { newAgent } = require('../enforce/agent.js');
const { startRealAuthority } = require('../enforce/real_authority.js');

const bin = process.env.MANDATE_BIN || process.argv[2];
const store = process.env.MANDATE_TEST_POSTGRES;
const steady = require('../authority/steady.js');

const { AGENTS, mandates } = steady;
async function authorize(server, agent, task) {
  const r = await steady.authorize(server, agent, task);
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

// Polls `probe` until it returns true (bounded: 5 s).
async function eventually(probe, what) {
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('not within 5 s: ' + what);
}

// The revocation events an enforcement point following `server` receives, as they come.
function follow(server, epToken) {
  const events = [];
  const ac = new AbortController();
  (async () => {
    const r = await fetch(server.url + '/v1/revocations/stream',
      { headers: { authorization: 'Bearer ' + epToken }, signal: ac.signal });
    const reader = r.body.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += Buffer.from(value).toString();
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const data = text.slice(0, end).split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)));
        text = text.slice(end + 2);
      }
    }
  })().catch((e) => { if (e.name !== 'AbortError') throw e; });
  return { events, stop: () => ac.abort() };
}

test('--audit-chain refuses names that are not a plain chain name, before starting', () => {
  const { spawnSync } = require('node:child_process');
  for (const bad of ['', '../x', 'a/b', '.hidden', 'sp ace', 'x'.repeat(65), 'nul\u0001']) {
    const r = spawnSync(bin, ['serve', '--audit-chain', bad, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 10000 });
    assert.notStrictEqual(r.status, 0, JSON.stringify(bad));
    assert.match(r.stderr, /--audit-chain: 1-64 letters, digits/, JSON.stringify(bad));
  }
});

test('a revocation made on one replica holds on the other at once', { skip: !store && 'MANDATE_TEST_POSTGRES not set' }, async () => {
  const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-replica-a-'));
  const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-replica-b-'));
  const a = await startRealAuthority(bin, dirA, { mandates, quiet: !process.env.VERBOSE,
    extraArgs: ['--store', store, '--audit-chain', 'replica-a'] });
  let b;
  let stream;
  try {
    // The replicas share the database; docs/operations.md: and the token files and master key.
    fs.mkdirSync(path.join(dirB, 'data'), { recursive: true });
    for (const f of ['admin.token', 'ep.token', 'master.key']) {
      if (fs.existsSync(path.join(dirA, 'data', f))) {
        fs.copyFileSync(path.join(dirA, 'data', f), path.join(dirB, 'data', f));
      }
    }
    b = await startRealAuthority(bin, dirB, { mandates, quiet: !process.env.VERBOSE,
      extraArgs: ['--store', store, '--audit-chain', 'replica-b'] });
    const epToken = fs.readFileSync(a.epTokenFile, 'utf8').trim();
    stream = follow(a, epToken);

    // Tasks held by replica A (started there).
    const [one, two, three] = [await newAgent(), await newAgent(), await newAgent()];
    const byTask = await a.startTask(one, AGENTS + 'one', 'steady');
    const byAgent = await a.startTask(two, AGENTS + 'two', 'steady');
    const untouched = await a.startTask(three, AGENTS + 'three', 'steady');
    for (const [agent, task] of [[one, byTask], [two, byAgent], [three, untouched]]) {
      assert.strictEqual((await authorize(a, agent, task)).decision, 'allow');
    }

    // Revoked through B, by task and by agent: A denies their next calls.
    const revoke = async (scope, value) => {
      const r = await fetch(b.url + '/v1/revocations', { method: 'POST', headers: {
        authorization: 'Bearer ' + b.adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ scope, value, reason: 'test' }) });
      assert.strictEqual(r.status, 201, await r.clone().text());
      return (await r.json()).revocation_id;
    };
    const taskRevocation = await revoke('task', byTask.taskId);
    const agentRevocation = await revoke('agent', AGENTS + 'two');
    for (const [agent, task] of [[one, byTask], [two, byAgent]]) {
      await eventually(async () => (await authorize(a, agent, task)).decision === 'deny',
        'replica A denies ' + task.taskId);
      const denied = await authorize(a, agent, task);
      assert.strictEqual(denied.reasons[0].check, 'revocation', JSON.stringify(denied));
      const view = await fetch(a.url + '/v1/tasks/' + task.taskId, { headers: { authorization: 'Bearer ' + a.adminToken } });
      assert.strictEqual((await view.json()).state, 'revoked');
    }
    assert.strictEqual((await authorize(a, three, untouched)).decision, 'allow');

    // An enforcement point following A hears both, naming A's tasks.
    await eventually(() => stream.events.some((e) => e.id === agentRevocation), 'the stream of A');
    const heard = (id) => stream.events.find((e) => e.id === id);
    assert.ok(heard(taskRevocation).tasks.includes(byTask.taskId), JSON.stringify(stream.events));
    assert.ok(heard(agentRevocation).tasks.includes(byAgent.taskId), JSON.stringify(stream.events));
    assert.ok(!heard(agentRevocation).tasks.includes(untouched.taskId));
  } finally {
    if (stream) stream.stop();
    for (const s of [a, b]) {
      if (!s) continue;
      s.close();
      await new Promise((r) => s.child.once('exit', r));
    }
    fs.rmSync(dirA, { recursive: true, force: true });
    fs.rmSync(dirB, { recursive: true, force: true });
  }
});
