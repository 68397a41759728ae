// Sealed step credentials (docs/design/sealed-step-credentials.md) with the real authority
// (`mandate serve --seal-step-credentials`) and `mandate gateway` holding an enforcement-point
// token scoped to its one audience: a sealed credential (JWS HS256) admits its one call with the
// API key injected; a replay, another audience's credential, a tampered or forged seal and both
// directions of algorithm confusion are refused; the scoped token cannot fetch another
// audience's keys and a forged one is refused; the authority introspects sealed credentials; a
// gateway whose token does not cover its audience refuses sealed credentials with the reason.
// Usage: node sealed_test.js MANDATE_BIN
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startRealAuthority } = require('./real_authority.js');
const { startGateway } = require('./gateway_process.js');
const { newAgent } = require('./agent.js');

const bin = process.argv[2];
const SECRET = 'sk_live_' + crypto.randomBytes(12).toString('hex');
const SPIFFE_ID = 'spiffe://example.org/agents/sealed';
const TRACKER = 'https://tracker.example.org';
const CRM = 'https://crm.example.org';

function startUpstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    req.resume();
    res.writeHead(req.headers['x-api-key'] === SECRET ? 200 : 401, { 'content-type': 'application/json' });
    res.end('{}');
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, seen, url: `http://127.0.0.1:${server.address().port}` })));
}

const MANDATE = (upstream) => `
name: sealed-triage
version: 1.0.0
owner: security@example.com
description: read issues and contacts through gateways that verify sealed step credentials
agents:
  - spiffe_id: ${SPIFFE_ID}
systems:
  - name: tracker
    kind: http
    audience: ${TRACKER}
    upstream: ${upstream}
  - name: crm
    kind: http
    audience: ${CRM}
    upstream: ${upstream}
steps:
  - id: read
    system: tracker
    actions: read_issue
    resources: issues/*
    max_calls: 100
  - id: contacts
    system: crm
    actions: read_contact
    resources: contacts/*
    max_calls: 100
limits:
  deadline: 10m
on_deviation: deny
`;

const b64u = (b) => Buffer.from(b).toString('base64url');
const parts = (token) => token.split('.');
const headerOf = (token) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString());
function hs256(header, payloadB64, key) {
  const input = b64u(JSON.stringify(header)) + '.' + payloadB64;
  return input + '.' + crypto.createHmac('sha256', key).update(input).digest('base64url');
}

function gatewayConfig(dir, name, authority, tokenFile, upstream) {
  const file = path.join(dir, name + '.yaml');
  fs.writeFileSync(file, `
listen: 127.0.0.1:0
authority: ${authority.url}
ep_token_file: ${tokenFile}
public_url: http://gateway.test
audit_grace_ms: 500
systems:
  - name: tracker
    upstream: ${upstream.url}
    audience: ${TRACKER}
    credential: {type: header, header: X-Api-Key, secret: "file:${path.join(dir, 'tracker.key')}"}
    routes:
      - {method: GET, path: "/issues/{id}", action: read_issue, resource: "issues/{id}", types: {id: long}}
`);
  return file;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-sealed-'));
  fs.writeFileSync(path.join(dir, 'tracker.key'), SECRET + '\n', { mode: 0o600 });
  const upstream = await startUpstream();
  const authority = await startRealAuthority(bin, dir, {
    mandates: { 'sealed-triage.yaml': MANDATE(upstream.url) },
    extraArgs: ['--seal-step-credentials', TRACKER, '--seal-step-credentials', CRM],
  });
  const scope = (...audiences) => execFileSync(bin, ['ep-token', 'scope', '--ep-token-file', authority.epTokenFile,
    '--name', 'gw-test', ...audiences.flatMap((a) => ['--audience', a])]).toString().trim();
  const trackerToken = scope(TRACKER);
  assert.match(trackerToken, /^mep1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  fs.writeFileSync(path.join(dir, 'tracker.ep'), trackerToken + '\n', { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'crm.ep'), scope(CRM) + '\n', { mode: 0o600 });
  const gw = await startGateway(bin, gatewayConfig(dir, 'gw', authority, path.join(dir, 'tracker.ep'), upstream));
  let wrong;
  const agent = await newAgent();
  const task = await authority.startTask(agent, SPIFFE_ID, 'sealed-triage');
  async function authorize(system, action, resource, args) {
    const url = authority.url + '/v1/authorize';
    const r = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP ' + task.token,
      dpop: await agent.proof('POST', url, task.token), 'content-type': 'application/json' },
    body: JSON.stringify({ system, action, resource, args }) });
    const body = await r.json();
    assert.equal(body.decision, 'allow', JSON.stringify(body));
    return body.credential;
  }
  const issue = () => authorize('tracker', 'read_issue', 'issues/7', { id: 7 });
  async function call(base, token) {
    const r = await fetch(base + '/tracker/issues/7', { headers: { authorization: 'DPoP ' + token,
      dpop: await agent.proof('GET', 'http://gateway.test/tracker/issues/7', token) } });
    const text = await r.text();
    return { status: r.status, text, code: text ? JSON.parse(text).error?.code : undefined };
  }
  try {
    // Minted sealed: HS256 under the signing key's kid.
    const jwks = await (await fetch(authority.url + '/.well-known/jwks.json')).json();
    const sealed = await issue();
    const header = headerOf(sealed);
    assert.equal(header.alg, 'HS256');
    assert.equal(header.typ, 'mandate-step+jwt');
    assert.ok(jwks.keys.some((k) => k.kid === header.kid), 'kid is a published signing key');

    // One call, API key injected; the replay is refused and never forwarded.
    const ok = await call(gw.url, sealed);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(upstream.seen.at(-1).headers['x-api-key'], SECRET);
    const atUpstream = upstream.seen.length;
    const replay = await call(gw.url, sealed);
    assert.equal(replay.status, 403, replay.text);
    assert.equal(replay.code, 'credential.already_used');
    console.log('sealed credential: one call admitted with the key injected, the replay refused');

    // Sealed for another audience (crm), presented to the tracker's gateway.
    const crm = await authorize('crm', 'read_contact', 'contacts/1', {});
    assert.equal(headerOf(crm).alg, 'HS256');
    const other = await call(gw.url, crm);
    assert.equal(other.status, 401, other.text);
    assert.equal(other.code, 'jws.signature_invalid');
    // Tampered seal; a seal under a guessed key.
    const fresh = await issue();
    const [h, p, mac] = parts(fresh);
    const flipped = h + '.' + p + '.' + (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
    assert.equal((await call(gw.url, flipped)).code, 'jws.signature_invalid');
    assert.equal((await call(gw.url, hs256(header, p, crypto.randomBytes(32)))).code, 'jws.signature_invalid');
    // Algorithm confusion: HS256 keyed with the signing key's public bytes (raw and as text),
    // and an EdDSA header over a sealed credential's MAC.
    const pub = jwks.keys.find((k) => k.kid === header.kid);
    for (const key of [Buffer.from(pub.x, 'base64url'), Buffer.from(pub.x), Buffer.from(JSON.stringify(pub))]) {
      const forged = await call(gw.url, hs256(header, p, key));
      assert.equal(forged.status, 401);
      assert.equal(forged.code, 'jws.signature_invalid');
    }
    const relabelled = b64u(JSON.stringify({ ...header, alg: 'EdDSA' })) + '.' + p + '.' + mac;
    const confused = await call(gw.url, relabelled);
    assert.equal(confused.status, 401);
    assert.equal(confused.code, 'jws.signature_invalid');
    assert.equal(upstream.seen.length, atUpstream, 'no refused credential reached the upstream');
    // None of those spent the real one.
    assert.equal((await call(gw.url, fresh)).status, 200);
    console.log('refused: another audience, tampered and guessed seals, alg confusion both ways');

    // The scoped token fetches its own audience's keys only; a forged one is refused.
    const keys = async (token, query) => fetch(authority.url + '/v1/ep/keys?' + query, { headers: { authorization: 'Bearer ' + token } });
    const own = await keys(trackerToken, 'audience=' + encodeURIComponent(TRACKER));
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('cache-control'), 'no-store');
    const ownKeys = (await own.json()).keys;
    assert.ok(ownKeys.length >= 1 && ownKeys.every((k) => k.aud === TRACKER && k.alg === 'HS256'));
    const forbidden = await keys(trackerToken, 'audience=' + encodeURIComponent(CRM));
    assert.equal(forbidden.status, 403);
    assert.equal((await forbidden.json()).error.code, 'ep.audience_forbidden');
    const [, scopePayload, scopeMac] = trackerToken.split('.');
    const widened = 'mep1.' + b64u(JSON.stringify({ name: 'gw-test', aud: [TRACKER, CRM] })) + '.' + scopeMac;
    for (const bad of [widened, 'mep1.' + scopePayload + '.' + 'A'.repeat(43), 'mep1.%%%.x', 'mep1.' + 'a'.repeat(9000)]) {
      const r = await keys(bad, 'audience=' + encodeURIComponent(TRACKER));
      assert.equal(r.status, 401, bad.slice(0, 40));
      assert.equal((await r.json()).error.code, 'ep.token_invalid');
    }
    console.log('ep keys: own audience served (no-store), another audience 403, forged scoped tokens 401');

    // The authority introspects a sealed credential with its own keys (the scoped token is an
    // enforcement-point identity there too).
    const introspected = await (await fetch(authority.url + '/v1/introspect', { method: 'POST',
      headers: { authorization: 'Bearer ' + trackerToken, 'content-type': 'application/json' },
      body: JSON.stringify({ token: await issue(), audience: TRACKER }) })).json();
    assert.equal(introspected.active, true, JSON.stringify(introspected));
    assert.equal(introspected.aud, TRACKER);
    // Another audience's credentials are not the scoped token's to introspect (or spend).
    const outOfScope = await fetch(authority.url + '/v1/introspect', { method: 'POST',
      headers: { authorization: 'Bearer ' + trackerToken, 'content-type': 'application/json' },
      body: JSON.stringify({ token: await issue(), audience: CRM }) });
    assert.equal(outOfScope.status, 403);
    assert.equal((await outOfScope.json()).error.code, 'ep.audience_forbidden');
    console.log('introspection: a sealed credential is active; another audience 403 for a scoped token');

    // Audit delivery with the scoped token: records of its own audience's systems (or of no
    // system yet) are appended; a batch naming another audience's system is refused whole.
    const deliver = async (records, instance) => {
      const r = await fetch(authority.url + '/v1/ep/audit', { method: 'POST',
        headers: { authorization: 'Bearer ' + trackerToken, 'content-type': 'application/json' },
        body: JSON.stringify({ enforcement_point: 'gw-test', instance, first_sequence: 1, records }) });
      return { status: r.status, json: await r.json() };
    };
    const record = (system) => ({ time_micros: Date.now() * 1000, decision: 'deny', reason: 'route.unknown: test', system });
    const ownRecords = await deliver([record('tracker'), record('')], 'scoped-own');
    assert.equal(ownRecords.status, 200, JSON.stringify(ownRecords.json));
    assert.equal(ownRecords.json.appended, 2);
    const otherRecords = await deliver([record('tracker'), record('crm')], 'scoped-other');
    assert.equal(otherRecords.status, 403, JSON.stringify(otherRecords.json));
    assert.equal(otherRecords.json.error.code, 'ep.audience_forbidden');
    const unknownSystem = await deliver([record('nowhere')], 'scoped-unknown');
    assert.equal(unknownSystem.status, 403, JSON.stringify(unknownSystem.json));
    console.log('ep audit: a scoped token delivers records of its own systems only');

    // A gateway whose token covers another audience cannot get the tracker's keys: it says so
    // once and refuses sealed credentials with the reason (fail closed).
    wrong = await startGateway(bin, gatewayConfig(dir, 'wrong', authority, path.join(dir, 'crm.ep'), upstream));
    const refused = await call(wrong.url, await issue());
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.code, 'jws.sealing_key_unknown');
    assert.match(refused.text, /403/);
    await call(wrong.url, await issue());
    const said = wrong.logs.join('').split('ep.audience_forbidden').length - 1;
    assert.equal(said, 1, wrong.logs.join(''));
    console.log('unscoped audience: sealed credentials refused with the reason, said once in the log');
  } finally {
    if (wrong) wrong.child.kill('SIGTERM');
    gw.child.kill('SIGTERM');
    authority.close();
    upstream.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => console.log('sealed: ok'), (e) => { console.error(e); process.exit(1); });
