// `mandate gateway` in front of an upstream that requires an API key, deciding with the real
// authority (`mandate serve`): the key reaches the upstream only through the gateway, the agent's
// own credentials never do, and nothing the agent can see (status, headers, bodies) or the
// gateway's logs contains the key. A step credential the agent already holds is verified at the
// gateway against the authority's JWKS, without a round trip (proven with the authority
// frozen), admits exactly the call that was decided (once, with the decided arguments: a step's
// budget and guards hold through held credentials), and a revocation still refuses it at once.
// Usage: node gateway_test.js MANDATE_BIN
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { startRealAuthority } = require('./real_authority.js');
const { startGateway } = require('./gateway_process.js');
const { newAgent } = require('./agent.js');

const bin = process.argv[2];
const SECRET = 'sk_live_' + require('node:crypto').randomBytes(12).toString('hex');

function startUpstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.headers['x-api-key'] !== SECRET) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":"api key required"}');
      }
      // A careless upstream that echoes what it received, key included.
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo-key': req.headers['x-api-key'] });
      res.end(JSON.stringify({ ok: true, url: req.url, headers: req.headers, body }));
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, seen, url: `http://127.0.0.1:${server.address().port}` })));
}

const SPIFFE_ID = 'spiffe://example.org/agents/triage';
const MANDATE = (upstream) => `
name: tracker-triage
version: 1.0.0
owner: security@example.com
description: read issues and file new ones, never one that mentions a secret
agents:
  - spiffe_id: ${SPIFFE_ID}
systems:
  - name: tracker
    kind: http
    audience: https://tracker.example.org
    upstream: ${upstream}
steps:
  - id: read
    system: tracker
    actions: read_issue
    resources: issues/*
    max_calls: 100
  - id: file
    system: tracker
    actions: create_issue
    resources: issues
    args: {title: string}
    guard: '!(context.args.title like "*secret*")'
    max_calls: 5
  - id: pay
    system: tracker
    actions: pay
    resources: payments
    args: {amount: long}
    guard: 'context.args.amount < 100'
    max_calls: 1
limits:
  deadline: 10m
# The test goes on after its refusals, so a deviation denies without revoking the task.
on_deviation: deny
`;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-gw-'));
  fs.writeFileSync(path.join(dir, 'tracker.key'), SECRET + '\n', { mode: 0o600 });
  const upstream = await startUpstream();
  const authority = await startRealAuthority(bin, dir, { mandates: { 'tracker-triage.yaml': MANDATE(upstream.url) } });
  const config = path.join(dir, 'gateway.yaml');
  fs.writeFileSync(config, `
listen: 127.0.0.1:0
authority: ${authority.url}
ep_token_file: ${authority.epTokenFile}
public_url: http://gateway.test
revocation_grace_ms: 1000
audit_grace_ms: 1500
systems:
  - name: tracker
    upstream: ${upstream.url}
    audience: https://tracker.example.org
    credential: {type: header, header: X-Api-Key, secret: "file:${path.join(dir, 'tracker.key')}"}
    routes:
      - {method: GET, path: "/issues/{id}", action: read_issue, resource: "issues/{id}", types: {id: long}}
      - {method: POST, path: /issues, action: create_issue, resource: issues, body_args: true}
      - {method: POST, path: /payments, action: pay, resource: payments, body_args: true}
`);
  const gw = await startGateway(bin, config);
  const agent = await newAgent();
  const task = await authority.startTask(agent, SPIFFE_ID, 'tracker-triage');
  const seenByAgent = [];
  async function call(method, target, { body, token = task.token, proof = true, extra = {}, base = gw.url } = {}) {
    const headers = { ...extra };
    if (token) headers.authorization = 'DPoP ' + token;
    if (proof) headers.dpop = await agent.proof(method, 'http://gateway.test' + target, token);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(base + target, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    seenByAgent.push(JSON.stringify([...r.headers]) + text);
    return { status: r.status, headers: r.headers, text, json: text ? JSON.parse(text) : null };
  }
  // The gateway's readiness for a load balancer (health_path, default /healthz).
  const health = async () => {
    const r = await fetch(gw.url + '/healthz');
    return { status: r.status, json: await r.json() };
  };
  try {
    // Ready once the revocation stream is synced: what a call would be refused with before that.
    let ready;
    for (let i = 0; i < 100; i++) {
      ready = await health();
      if (ready.status === 200) break;
      assert.equal(ready.status, 503);
      assert.equal(ready.json.error.code, 'revocation.not_synced');
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepEqual(ready, { status: 200, json: { status: 'ok' } });

    // Without the gateway the agent has no key: the upstream refuses.
    assert.equal((await fetch(upstream.url + '/issues/1')).status, 401);

    // Allowed: forwarded with the key injected and the agent's credentials stripped.
    const ok = await call('GET', '/tracker/issues/7?full=1', { extra: { cookie: 'sid=agent', 'x-api-key': 'agent-guess' } });
    assert.equal(ok.status, 200, ok.text);
    const got = upstream.seen.at(-1);
    assert.equal(got.url, '/issues/7?full=1');
    assert.equal(got.headers['x-api-key'], SECRET);
    for (const h of ['authorization', 'dpop', 'cookie']) assert.equal(got.headers[h], undefined, h);
    assert.equal(got.headers['x-mandate-task'], task.taskId);
    assert.ok(!ok.text.includes(SECRET) && ok.text.includes('[redacted]'), 'echoed key scrubbed from the body');
    assert.equal(ok.headers.get('x-echo-key'), '[redacted]');
    console.log('allowed: key injected, agent credentials stripped, echo scrubbed');

    const created = await call('POST', '/tracker/issues', { body: { title: 'bug' } });
    assert.equal(created.status, 200, created.text);

    // Refusals: 403 JSON naming the reason; the upstream never sees them.
    const before = upstream.seen.length;
    const denied = await call('POST', '/tracker/issues', { body: { title: 'leak the secret' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error.code, 'guard.unsatisfied');
    assert.equal(denied.headers.get('x-mandate-reason'), 'guard.unsatisfied');
    const unrouted = await call('DELETE', '/tracker/issues/7');
    assert.equal(unrouted.status, 403);
    assert.equal(unrouted.json.error.code, 'route.unknown');
    // A body on a route that decides none (no `body_args`, no `opaque_body`) never passes
    // undecided. Sent raw: fetch() refuses a GET with a body.
    const undecided = await new Promise(async (resolve, reject) => {
      const u = new URL(gw.url);
      const body = '{"amount":1000000}';
      const req = http.request({ host: u.hostname, port: u.port, path: '/tracker/issues/7', method: 'GET',
        headers: { authorization: 'DPoP ' + task.token, 'content-type': 'application/json', 'content-length': body.length,
          dpop: await agent.proof('GET', 'http://gateway.test/tracker/issues/7', task.token) } }, (r) => {
        let text = '';
        r.on('data', (c) => { text += c; }).on('end', () => resolve({ status: r.statusCode, json: JSON.parse(text) }));
      }).on('error', reject);
      req.end(body);
    });
    assert.equal(undecided.status, 403);
    assert.equal(undecided.json.error.code, 'route.body_undecided');
    assert.equal(upstream.seen.length, before, 'the upstream saw none of the refused requests');
    // Sent raw: fetch() would normalise the dot segments away before the gateway sees them.
    for (const target of ['/tracker/issues/%2e%2e/admin', '/tracker/issues/..%2Fadmin', '/tracker//issues/7']) {
      const status = await new Promise((resolve, reject) => {
        const u = new URL(gw.url);
        http.get({ host: u.hostname, port: u.port, path: target }, (r) => { r.resume(); resolve(r.statusCode); }).on('error', reject);
      });
      assert.equal(status, 400, target);
    }
    const anonymous = await call('GET', '/tracker/issues/7', { token: null, proof: false });
    assert.equal(anonymous.status, 401);
    const noProof = await call('GET', '/tracker/issues/7', { proof: false });
    assert.equal(noProof.status, 401);
    assert.equal(noProof.json.error.code, 'dpop.missing');
    assert.equal(upstream.seen.length, before, 'no refused request reached the upstream');
    console.log('refused: 403/401/400 with reasons, nothing forwarded');

    // Step credentials: the agent asks the authority itself, then presents the credential.
    async function authorize(action, resource, args) {
      const url = authority.url + '/v1/authorize';
      const r = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP ' + task.token,
        dpop: await agent.proof('POST', url, task.token), 'content-type': 'application/json' },
      body: JSON.stringify({ system: 'tracker', action, resource, args }) });
      return r.json();
    }
    async function stepCredential(id) {
      const body = await authorize('read_issue', `issues/${id}`, { id });
      assert.equal(body.decision, 'allow', JSON.stringify(body));
      return body.credential;
    }
    const [first, firstOnConnection, local, second, third] =
      await Promise.all([7, 7, 7, 7, 7].map((id) => stepCredential(id)));
    // Bound connection: on ONE keep-alive connection the agent's key proven once needs no new
    // proof for the next credential bound to that key (this is the gateway's first held
    // credential: decided on the decision pool, keys not fetched yet); a fresh connection
    // without a proof is refused.
    {
      const u = new URL(gw.url);
      const keep = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = async (connection, credential, withProof) => {
        const headers = { authorization: 'DPoP ' + credential };
        if (withProof) headers.dpop = await agent.proof('GET', 'http://gateway.test/tracker/issues/7', credential);
        return new Promise((resolve, reject) => {
          http.get({ host: u.hostname, port: u.port, path: '/tracker/issues/7', headers, agent: connection }, (r) => {
            let text = '';
            r.on('data', (d) => { text += d; });
            r.on('end', () => { seenByAgent.push(text); resolve({ status: r.statusCode, text }); });
          }).on('error', reject);
        });
      };
      assert.equal((await get(keep, first, true)).status, 200);
      const unproven = await get(keep, firstOnConnection, false);
      assert.equal(unproven.status, 200, 'same connection, another credential of the same key, proof omitted: ' + unproven.text);
      const fresh = await get(new http.Agent({ keepAlive: false }), third, false);
      assert.equal(fresh.status, 401);
      assert.equal(JSON.parse(fresh.text).error.code, 'dpop.missing');
      keep.destroy();
      console.log('bound connection: the proven key needs no new proof for the next credential, on its connection only');
    }
    const held = await call('GET', '/tracker/issues/7', { token: local });
    assert.equal(held.status, 200, held.text);
    assert.equal(upstream.seen.at(-1).headers['x-api-key'], SECRET);
    // Frozen authority: the gateway cannot ask it, yet the step credential is honoured.
    authority.child.kill('SIGSTOP');
    let frozen;
    try {
      frozen = await call('GET', '/tracker/issues/7', { token: second });
    } finally {
      authority.child.kill('SIGCONT');
    }
    assert.equal(frozen.status, 200, frozen.text);
    const wrongScope = await call('GET', '/tracker/issues/8', { token: third });
    assert.equal(wrongScope.status, 403);
    assert.equal(wrongScope.json.error.code, 'credential.scope_mismatch');
    console.log('step credential: verified at the gateway against the JWKS, no round trip (authority frozen)');

    // One decision, one call: a held credential used twice is refused the second time (the
    // upstream sees one request), and a credential admits only the arguments decided.
    const atUpstream = upstream.seen.length;
    const replayed = await call('GET', '/tracker/issues/7', { token: local });
    assert.equal(replayed.status, 403, replayed.text);
    assert.equal(replayed.json.error.code, 'credential.already_used');
    assert.match(replayed.json.error.message, /admits one call/);
    assert.equal(upstream.seen.length, atUpstream, 'the replay was not forwarded');
    const payment = await authorize('pay', 'payments', { amount: 50 });
    assert.equal(payment.decision, 'allow', JSON.stringify(payment));
    const inflated = await call('POST', '/tracker/payments', { token: payment.credential, body: { amount: 1000000 } });
    assert.equal(inflated.status, 403, inflated.text);
    assert.equal(inflated.json.error.code, 'credential.arguments_mismatch');
    assert.equal(upstream.seen.length, atUpstream, 'the inflated payment was not forwarded');
    const paid = await call('POST', '/tracker/payments', { token: payment.credential, body: { amount: 50 } });
    assert.equal(paid.status, 200, paid.text);
    assert.equal(upstream.seen.length, atUpstream + 1);
    assert.equal(JSON.parse(upstream.seen.at(-1).body).amount, 50);
    console.log('held credential: a second use refused (credential.already_used), other arguments refused (credential.arguments_mismatch)');
    // The step's budget (max_calls: 1) holds through held credentials: the spent credential
    // cannot pay again, and the authority will not mint another.
    const again = await call('POST', '/tracker/payments', { token: payment.credential, body: { amount: 50 } });
    assert.equal(again.status, 403, again.text);
    assert.equal(again.json.error.code, 'credential.already_used');
    const overBudget = await authorize('pay', 'payments', { amount: 50 });
    assert.equal(overBudget.decision, 'deny', JSON.stringify(overBudget));
    assert.equal(overBudget.reasons[0].check, 'budget', JSON.stringify(overBudget));
    assert.equal(upstream.seen.length, atUpstream + 1, 'one payment reached the upstream');
    console.log('budget: a step with max_calls 1 is called once through held credentials');

    // Audit: what the gateway decided itself (held credentials, its own refusals) reaches the
    // authority's hash-chained trail, marked `decided_by: gateway`; the frozen call too, once
    // the authority runs again. The authority-decided calls are not recorded twice.
    const gatewayRecords = async (want) => {
      let records = [];
      for (let i = 0; i < 100; i++) {
        const r = await fetch(authority.url + '/v1/audit?limit=10000', { headers: { authorization: 'Bearer ' + authority.adminToken } });
        records = (await r.text()).trim().split('\n').map((l) => JSON.parse(l).record)
          .filter((rec) => rec.detail && rec.detail.decided_by === 'gateway');
        if (want(records)) return records;
        await new Promise((res) => setTimeout(res, 50));
      }
      return records;
    };
    const heldAllows = (records) => records.filter((r) => r.decision === 'allow');
    // The second refused payment was the last call: once it is in, every earlier one is.
    let records = await gatewayRecords((rs) => rs.filter((r) => r.action === 'pay' && r.decision === 'deny').length >= 2);
    const allows = heldAllows(records).filter((r) => r.action === 'read_issue');
    assert.equal(allows.length, 4, JSON.stringify(records));  // proof, bound, held, frozen
    for (const r of allows) {
      assert.equal(r.task, task.taskId);
      assert.equal(r.agent, SPIFFE_ID);
      assert.equal(r.step, 'read');
      assert.equal(r.resource, 'issues/7');
      assert.match(r.args_digest, /^[0-9a-f]{64}$/);
    }
    assert.deepEqual(allows.map((r) => r.detail.proof).sort(), ['bound_connection', 'dpop', 'dpop', 'dpop']);
    // The arguments' digest is the authority's own: its record of minting the credential for
    // `{id: 7}` carries the same digest as the gateway's records of using it.
    const all = (await (await fetch(authority.url + '/v1/audit?limit=10000', { headers: { authorization: 'Bearer ' + authority.adminToken } })).text())
      .trim().split('\n').map((l) => JSON.parse(l).record);
    const minted = all.filter((r) => r.kind === 'decision' && r.decision === 'allow' && r.resource === 'issues/7' &&
      !(r.detail && r.detail.decided_by));
    assert.ok(minted.length >= 3, 'the authority recorded the mints');
    for (const r of allows) assert.ok(minted.some((m) => m.args_digest === r.args_digest), r.args_digest);
    const refusedCodes = records.filter((r) => r.decision === 'deny').map((r) => r.reasons[0].split(':')[0]);
    assert.ok(records.every((r) => r.decision === 'allow' || r.decision === 'deny'), JSON.stringify(records));
    for (const code of ['route.unknown', 'route.target_invalid', 'authentication.missing', 'dpop.missing', 'credential.scope_mismatch',
      'credential.already_used', 'credential.arguments_mismatch']) {
      assert.ok(refusedCodes.includes(code), `${code} recorded: ${refusedCodes}`);
    }
    assert.ok(!refusedCodes.includes('guard.unsatisfied'), 'the authority recorded its own refusal, the gateway did not');
    console.log(`audit: ${records.length} decisions the gateway took itself are in the authority's trail`);

    // The delivery endpoint itself: enforcement-point token only, strict, and a resent batch
    // (its answer lost) is not appended twice.
    const epToken = fs.readFileSync(authority.epTokenFile, 'utf8').trim();
    const deliver = async (body, token = epToken) => {
      const r = await fetch(authority.url + '/v1/ep/audit', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } });
      return { status: r.status, json: await r.json() };
    };
    const one = { time_micros: Date.now() * 1000, decision: 'deny', reason: 'route.unknown: test', system: 'tracker' };
    const batch = { enforcement_point: 'gateway', instance: 'test-instance', first_sequence: 1, records: [one, one] };
    assert.equal((await deliver(batch, 'not-the-token')).json.error.code, 'authentication.enforcement_point');
    for (const bad of ['{"records":', { ...batch, extra: 1 }, { ...batch, records: [] }, { ...batch, first_sequence: 0 },
      { ...batch, instance: 'a b' }, { ...batch, records: [{ ...one, decision: 'maybe' }] },
      { ...batch, records: [{ ...one, detail: { progress: {} } }] }, { ...batch, records: [{ ...one, args_digest: 'xyz' }] },
      { ...batch, records: [{ ...one, time_micros: -1 }] }, { ...batch, records: [{ ...one, agent: 'x'.repeat(17000) }] }]) {
      const r = await deliver(bad);
      assert.equal(r.status, 400, JSON.stringify(bad).slice(0, 200));
      assert.ok(r.json.error.code === 'audit.batch_invalid' || r.json.error.code.startsWith('json.'), r.json.error.code);
    }
    assert.deepEqual((await deliver(batch)).json, { appended: 2, skipped: 0, last_sequence: 2 });
    assert.deepEqual((await deliver({ ...batch, records: [one, one, one] })).json, { appended: 1, skipped: 2, last_sequence: 3 });
    console.log('audit delivery: token checked, malformed batches refused, a resent batch appended once');

    // Fail closed: while the authority cannot take the records, held credentials still pass for
    // audit_grace_ms, then every call is refused with 503 until the records are delivered. Each
    // call that passes spends a credential: minted beforehand (the authority is stopped then).
    const pool = await Promise.all(Array.from({ length: 40 }, () => stepCredential(7)));
    authority.child.kill('SIGSTOP');
    let closed;
    let unready;
    try {
      for (let i = 0; i < pool.length; i++) {
        closed = await call('GET', '/tracker/issues/7', { token: pool[i] });
        if (closed.status !== 200) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      // The health path says what the calls get, while they get it.
      unready = await health();
    } finally {
      authority.child.kill('SIGCONT');
    }
    assert.equal(closed.status, 503, closed.text);
    assert.equal(closed.json.error.code, 'audit.unavailable');
    assert.equal(unready.status, 503);
    assert.equal(unready.json.status, 'unavailable');
    assert.equal(unready.json.error.code, 'audit.unavailable');
    const afterOutage = await stepCredential(7);  // a 503 is decided before the credential: unspent
    let reopened;
    for (let i = 0; i < 100; i++) {
      reopened = await call('GET', '/tracker/issues/7', { token: afterOutage });
      if (reopened.status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(reopened.status, 200, reopened.text);
    // The health path reopens too (the backlog drains batch by batch, so it may lag the first
    // call that passes by a batch, as a second call may).
    let healthy;
    for (let i = 0; i < 100; i++) {
      healthy = await health();
      if (healthy.status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepEqual(healthy, { status: 200, json: { status: 'ok' } });
    const before503 = heldAllows(records).length;
    records = await gatewayRecords((rs) => rs.some((r) => r.reasons.some((x) => x.startsWith('audit.unavailable'))) && heldAllows(rs).length > before503 + 1);
    assert.ok(records.some((r) => r.reasons.some((x) => x.startsWith('audit.unavailable'))), 'the 503 itself is recorded');
    console.log('audit sink unreachable: calls refused with 503 audit.unavailable after the grace, none lost');

    // A gateway killed outright loses no record of a call it answered: with `audit_spool` each
    // record is written to a file before the call is answered, and the next gateway started on
    // the folder delivers them first. The records are sent every 10 s here, so when the first
    // gateway dies they are in its spool only.
    const spoolDir = path.join(dir, 'spool');
    const spoolConfig = path.join(dir, 'gateway-spool.yaml');
    fs.writeFileSync(spoolConfig, fs.readFileSync(config, 'utf8') + `audit_spool: ${spoolDir}\naudit_flush_ms: 10000\n`);
    const doomed = await startGateway(bin, spoolConfig);
    const spoolCredentials = await Promise.all([7, 7, 7, 7, 7].map((id) => stepCredential(id)));
    // The doomed gateway's records, told apart from the first gateway's by credential id.
    const jtis = spoolCredentials.map((c) => JSON.parse(Buffer.from(c.split('.')[1], 'base64url')).jti);
    const spooled = (rs) => heldAllows(rs).filter((r) => jtis.includes(r.detail.credential));
    for (const credential of spoolCredentials) {
      const r = await call('GET', '/tracker/issues/7', { token: credential, base: doomed.url });
      assert.equal(r.status, 200, r.text);
    }
    const died = new Promise((res) => doomed.child.on('exit', res));
    doomed.child.kill('SIGKILL');
    await died;
    assert.equal(spooled(await gatewayRecords(() => true)).length, 0, 'nothing was delivered before the kill');
    assert.equal(fs.readdirSync(spoolDir).length, 2, 'the killed gateway left its two spool files');
    const revived = await startGateway(bin, spoolConfig);
    records = await gatewayRecords((rs) => spooled(rs).length >= 5);
    assert.equal(spooled(records).length, 5, 'every answered call of the killed gateway is in the trail, once');
    const stopped = new Promise((res) => revived.child.on('exit', res));
    revived.child.kill('SIGTERM');
    await stopped;
    assert.deepEqual(fs.readdirSync(spoolDir), [], 'delivered spools are removed');
    console.log('audit spool: a gateway killed with -9 lost none of its 5 answered calls\' records');

    // Revocation: the next call is refused, with the task token and with a held step credential.
    await authority.revokeTask(task.taskId);
    const revoked = await call('GET', '/tracker/issues/7');
    assert.equal(revoked.status, 403);
    assert.match(revoked.json.error.code, /^revocation\./);
    // `third` was refused twice (no proof; another resource), so never spent.
    let heldAfter;
    for (let i = 0; i < 100; i++) {  // the event is pushed; allow it a moment to arrive
      heldAfter = await call('GET', '/tracker/issues/7', { token: third });
      if (heldAfter.status === 403 && heldAfter.json.error.code.startsWith('revocation.')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(heldAfter.status, 403);
    assert.equal(heldAfter.json.error.code, 'revocation.task_revoked');
    console.log('revoked: next call refused, held step credential refused locally');

    // The key never appears in anything the agent saw, nor in the gateway's logs.
    assert.ok(seenByAgent.every((s) => !s.includes(SECRET)));
    assert.ok(!gw.logs.join('').includes(SECRET));
    console.log(`credential injection: key absent from ${seenByAgent.length} responses and the logs`);
  } finally {
    gw.child.kill('SIGTERM');
    upstream.server.close();
    authority.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log('gateway: ok');
}

main().catch((e) => { console.error(e); process.exit(1); });
