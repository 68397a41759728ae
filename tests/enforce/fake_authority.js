// A stand-in for `mandate serve` that speaks exactly the enforcement-point half of docs/api.md:
// POST /v1/authorize, GET /v1/tasks/{id}/actions, POST /v1/revocations and the SSE stream
// GET /v1/revocations/stream (Last-Event-ID resume, heartbeats). It verifies the
// enforcement-point token and every forwarded DPoP proof (jose: typ, signature by the embedded
// key, htm/htu against X-Mandate-Method/URL, ath, key thumbprint = the task's cnf.jkt, jti
// replay), so the proxy's proof handling is checked by an independent JOSE implementation.
// The enforcement tests run against the real authority too once it serves these endpoints.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const jose = require('jose');

// policy: { system: { tool: { forbid_arg_substring?: "secret" } } }
async function startFakeAuthority({ epToken, adminToken, policy }) {
  const issuerKeys = await jose.generateKeyPair('ES256');
  const tasks = new Map(); // task_id -> { jkt, revoked }
  const revocations = []; // { id, scope, value, tasks, jtis, at }
  const subscribers = new Set();
  const seenJti = new Set();
  const stats = { authorize: 0, proofsVerified: 0, denied: 0 };
  // lagging: answer as a replica that has not seen revocations yet (to prove the local deny set).
  const state = { lagging: false };

  async function mintTask(jkt) {
    const taskId = 't_' + crypto.randomBytes(6).toString('hex');
    tasks.set(taskId, { jkt, revoked: false });
    const token = await new jose.SignJWT({ task_id: taskId, cnf: { jkt }, mandate: 'test' })
      .setProtectedHeader({ alg: 'ES256', typ: 'mandate-task+jwt' })
      .setIssuer('fake-authority').setSubject('spiffe://example.org/agent')
      .setAudience('fake-authority').setIssuedAt().setExpirationTime('10m').setJti(taskId)
      .sign(issuerKeys.privateKey);
    return { taskId, token };
  }

  async function verifyTaskToken(token) {
    const { payload } = await jose.jwtVerify(token, issuerKeys.publicKey, { issuer: 'fake-authority' });
    return payload;
  }

  async function verifyProof(req, token, claims) {
    const proof = req.headers['x-mandate-dpop'];
    if (!proof) throw Object.assign(new Error('no dpop proof forwarded'), { code: 'dpop.missing' });
    const { payload, protectedHeader } = await jose.jwtVerify(proof, jose.EmbeddedJWK, { typ: 'dpop+jwt' });
    if (payload.htm !== req.headers['x-mandate-method']) throw Object.assign(new Error('htm'), { code: 'dpop.htm_mismatch' });
    if (payload.htu !== req.headers['x-mandate-url']) throw Object.assign(new Error('htu'), { code: 'dpop.htu_mismatch' });
    const ath = crypto.createHash('sha256').update(token).digest('base64url');
    if (payload.ath !== ath) throw Object.assign(new Error('ath'), { code: 'dpop.ath_mismatch' });
    const jkt = await jose.calculateJwkThumbprint(protectedHeader.jwk);
    if (jkt !== claims.cnf.jkt) throw Object.assign(new Error('key'), { code: 'dpop.key_mismatch' });
    if (seenJti.has(payload.jti)) throw Object.assign(new Error('replay'), { code: 'dpop.replayed' });
    seenJti.add(payload.jti);
    stats.proofsVerified++;
  }

  function send(res, status, body) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
  function deny(res, taskId, check, code, message, extra = {}) {
    stats.denied++;
    send(res, 200, { decision: 'deny', task_id: taskId, step: null, reasons: [{ check, code, message }], ...extra });
  }
  function bodyOf(req) {
    return new Promise((resolve) => {
      let data = '';
      req.on('data', (c) => { data += c; });
      req.on('end', () => resolve(data));
    });
  }
  function pushEvent(ev, res) {
    res.write(`id: ${ev.id}\nevent: revocation\ndata: ${JSON.stringify(ev)}\n\n`);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const bearer = (req.headers.authorization || '').replace(/^Bearer /, '');
    try {
      if (url.pathname === '/v1/revocations' && req.method === 'POST') {
        if (bearer !== adminToken) return send(res, 401, { error: { code: 'auth.admin_required', message: 'admin token' } });
        const body = JSON.parse(await bodyOf(req));
        const ev = { id: revocations.length + 1, scope: body.scope, value: body.value, tasks: [], jtis: [], at: Math.floor(Date.now() / 1000) };
        if (body.scope === 'task' && tasks.has(body.value)) { tasks.get(body.value).revoked = true; ev.tasks.push(body.value); }
        revocations.push(ev);
        for (const sub of subscribers) pushEvent(ev, sub);
        return send(res, 201, { revocation_id: ev.id, tasks_revoked: ev.tasks.length });
      }
      if (bearer !== epToken) return send(res, 401, { error: { code: 'auth.ep_token_invalid', message: 'enforcement-point token required' } });
      if (url.pathname === '/v1/revocations/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        const last = Number(req.headers['last-event-id'] || 0);
        for (const ev of revocations) if (ev.id > last) pushEvent(ev, res);
        res.write(': connected\n\n');
        subscribers.add(res);
        const beat = setInterval(() => res.write(': heartbeat\n\n'), 1000);
        req.on('close', () => { clearInterval(beat); subscribers.delete(res); });
        return;
      }
      const token = req.headers['x-mandate-task-token'] || '';
      let claims;
      try { claims = await verifyTaskToken(token); } catch (e) {
        return send(res, 401, { error: { code: 'token.invalid', message: 'task token: ' + e.message } });
      }
      const task = tasks.get(claims.task_id);
      const actions = url.pathname.match(/^\/v1\/tasks\/([^/]+)\/actions$/);
      if (actions && req.method === 'GET') {
        if (actions[1] !== claims.task_id) return send(res, 403, { error: { code: 'task.mismatch', message: 'not your task' } });
        return send(res, 200, { task_id: claims.task_id, actions: Object.keys(policy[url.searchParams.get('system')] || {}) });
      }
      if (url.pathname === '/v1/authorize' && req.method === 'POST') {
        stats.authorize++;
        const ask = JSON.parse(await bodyOf(req));
        try { await verifyProof(req, token, claims); } catch (e) {
          return deny(res, claims.task_id, 'authentication', e.code || 'dpop.invalid', e.message);
        }
        if (task.revoked && !state.lagging) return deny(res, claims.task_id, 'revocation', 'revocation.task_revoked', 'the task was revoked', { task_revoked: true });
        const rules = (policy[ask.system] || {})[ask.action];
        if (!rules) return deny(res, claims.task_id, 'chain', 'chain.unknown_action', `no step of the mandate allows \`${ask.action}\``);
        if (rules.forbid_arg_substring && JSON.stringify(ask.args).includes(rules.forbid_arg_substring)) {
          return deny(res, claims.task_id, 'policy', 'policy.forbid', `arguments mention \`${rules.forbid_arg_substring}\``);
        }
        return send(res, 200, { decision: 'allow', task_id: claims.task_id, step: ask.action, credential: 'x.y.z', credential_expires_at: 0, reasons: [] });
      }
      send(res, 404, { error: { code: 'route.unknown', message: url.pathname } });
    } catch (e) {
      send(res, 500, { error: { code: 'internal', message: String(e) } });
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url, stats, state, mintTask,
    async revokeTask(taskId) {
      const r = await fetch(url + '/v1/revocations', { method: 'POST', headers: { authorization: 'Bearer ' + adminToken, 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'task', value: taskId, reason: 'test' }) });
      if (r.status !== 201) throw new Error('revocation failed: ' + r.status);
    },
    close() { for (const s of subscribers) s.destroy(); server.closeAllConnections(); server.close(); },
  };
}

module.exports = { startFakeAuthority };
