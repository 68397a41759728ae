// A full disk under the real `mandate serve`: the server runs with a file-size limit
// (RLIMIT_FSIZE, SIGXFSZ ignored, so a write past it fails with EFBIG as on a full disk) and
// agents keep deciding until the audit trail cannot grow. Then no call may be allowed or answered
// with a decision the trail does not hold, no task may start, every refusal is a clear JSON
// error, and the server must not crash. Once space is back (a restart without the limit), every
// acknowledged decision is in the trail, `audit verify` passes, and deciding resumes.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { newAgent } = require('../enforce/agent.js');
const { startRealAuthority } = require('../enforce/real_authority.js');
const { AGENTS, mandates, authorize } = require('./steady.js');

const bin = process.env.MANDATE_BIN || process.argv[2];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-disk-full-'));
const AGENT = AGENTS + 'status';
// The limit, in KiB: room for the store and a few thousand audit records.
const LIMIT_KIB = Number(process.env.MANDATE_DISK_FULL_KIB || 2048);

function limitedServer() {
  const wrapper = path.join(dir, 'limited-mandate.sh');
  fs.writeFileSync(wrapper, `#!/bin/bash\ntrap '' XFSZ\nulimit -f ${LIMIT_KIB}\nexec ${JSON.stringify(bin)} "$@"\n`,
    { mode: 0o755 });
  return wrapper;
}

test('a full disk: nothing is allowed or started unrecorded, nothing acknowledged is lost', async () => {
  let server = await startRealAuthority(limitedServer(), dir, { mandates, quiet: true });
  const acked = [];
  let refusal = null;
  let revokedTask = null;
  try {
    const agent = await newAgent();
    const task = await server.startTask(agent, AGENT, 'steady');
    // Each decision appends a record of a few hundred bytes: the limit is reached within
    // LIMIT_KIB * 4 calls; the loop is bounded in case it never is.
    for (let i = 0; i < LIMIT_KIB * 8 && !refusal; i++) {
      const r = await authorize(server, agent, task);
      if (r.status === 200) {
        assert.strictEqual(r.body.decision, 'allow', JSON.stringify(r.body));
        acked.push(r.body.audit_seq);
      } else {
        refusal = r;
      }
    }
    assert.ok(refusal, `no refusal after ${acked.length} decisions under a ${LIMIT_KIB} KiB limit`);
    console.log(`disk full after ${acked.length} acknowledged decisions: ${refusal.status} ${refusal.body.error.code}`);
    assert.ok(acked.length > 100, 'decisions acknowledged before the disk was full: ' + acked.length);
    assert.strictEqual(refusal.status, 503, JSON.stringify(refusal.body));
    assert.strictEqual(refusal.body.error.code, 'audit.unavailable');
    // Why, for whoever reads it: the chain and the store's own error.
    assert.match(refusal.body.error.message,
      /not given: audit chain `main` cannot be written \(store\.io: write `.*main\.log`: File too large\)/);
    // The trail stays closed: later calls are refused the same way, never allowed.
    for (let i = 0; i < 20; i++) {
      const again = await authorize(server, agent, task);
      assert.strictEqual(again.status, 503, JSON.stringify(again.body));
      assert.strictEqual(again.body.error.code, 'audit.unavailable');
    }
    // A task start is not acknowledged either: its record cannot be appended.
    await assert.rejects(server.startTask(await newAgent(), AGENT, 'steady'),
      /task start failed: 503 .*"code":"audit\.unavailable"/);
    // The server is alive, reports itself unhealthy (a load balancer sends agents elsewhere)
    // and says why, and its metrics show it.
    assert.strictEqual(server.child.exitCode, null, 'the server exited');
    const health = await fetch(server.url + '/healthz');
    assert.strictEqual(health.status, 503);
    const healthBody = await health.json();
    assert.strictEqual(healthBody.status, 'unavailable');
    assert.strictEqual(healthBody.error.code, 'audit.unavailable');
    const metrics = await (await fetch(server.url + '/metrics')).text();
    assert.match(metrics, /^mandate_audit_writable 0$/m);
    // A revocation by hand still takes effect (the safe direction) and is stored, but is not
    // acknowledged as done: the trail does not hold it, and the answer says so.
    const admin = { authorization: 'Bearer ' + server.adminToken, 'content-type': 'application/json' };
    const revoke = await fetch(server.url + '/v1/revocations', { method: 'POST', headers: admin,
      body: JSON.stringify({ scope: 'task', value: task.taskId, reason: 'while the disk is full' }) });
    assert.strictEqual(revoke.status, 503);
    const revokeBody = await revoke.json();
    assert.strictEqual(revokeBody.error.code, 'audit.unavailable');
    assert.match(revokeBody.error.message, /^revocation 1 is in effect and stored, but the audit trail does not hold it: /);
    const view = await fetch(server.url + '/v1/tasks/' + task.taskId, { headers: admin });
    assert.strictEqual((await view.json()).state, 'revoked');
    revokedTask = { agent, task };
  } finally {
    server.close();
    await new Promise((r) => server.child.once('exit', r));
  }

  // Every acknowledged decision is in the trail, which verifies.
  const data = path.join(dir, 'data');
  const exported = execFileSync(bin, ['audit', 'export', '--data', data], { maxBuffer: 1 << 28 }).toString();
  const stored = new Set(exported.trim().split('\n').map((l) => JSON.parse(l).sequence));
  for (const seq of acked) assert.ok(stored.has(seq), 'acknowledged audit record ' + seq + ' is missing');
  execFileSync(bin, ['audit', 'verify', '--data', data]);

  // Space is back: the restarted server decides again, on the same trail, and the revocation
  // made while the trail was down still holds.
  fs.rmSync(path.join(dir, 'port'));
  server = await startRealAuthority(bin, dir, { mandates, quiet: true });
  try {
    const refused = await authorize(server, revokedTask.agent, revokedTask.task);
    assert.strictEqual(refused.status, 200, JSON.stringify(refused.body));
    assert.strictEqual(refused.body.decision, 'deny');
    assert.strictEqual(refused.body.reasons[0].check, 'revocation');
    const agent = await newAgent();
    const task = await server.startTask(agent, AGENT, 'steady');
    const r = await authorize(server, agent, task);
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    assert.strictEqual(r.body.decision, 'allow');
    assert.ok(r.body.audit_seq > Math.max(...acked), 'the trail continues after the full disk');
    assert.strictEqual((await fetch(server.url + '/healthz')).status, 200);
    assert.match(await (await fetch(server.url + '/metrics')).text(), /^mandate_audit_writable 1$/m);
  } finally {
    server.close();
    await new Promise((r) => server.child.once('exit', r));
  }
  execFileSync(bin, ['audit', 'verify', '--data', data]);
  fs.rmSync(dir, { recursive: true, force: true });
});
