// Starts the real authority (`mandate serve`) for enforcement tests: a temporary data folder, the
// given mandates, a test SPIFFE trust bundle (jose key) and optional `/v1/check` routes; agents
// start tasks with a JWT-SVID and a DPoP proof, as docs/api.md describes.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const jose = require('jose');

async function waitForFile(file, ms) {
  for (let i = 0; i < ms / 50; i++) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim()) return fs.readFileSync(file, 'utf8').trim();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting for ' + file);
}

// mandates: { 'name.yaml': text }; checkRoutes: YAML text or null; quiet: drop the server's
// output; extraArgs: more `mandate serve` flags.
async function startRealAuthority(bin, dir, { mandates, checkRoutes = null, trustDomain = 'example.org', quiet = false, extraArgs = [] }) {
  const svidKey = await jose.generateKeyPair('ES256', { extractable: true });
  const svidJwk = { ...(await jose.exportJWK(svidKey.publicKey)), kid: 'svid-1', alg: 'ES256', use: 'jwt-svid' };
  fs.writeFileSync(path.join(dir, 'bundle.json'), JSON.stringify({ keys: [svidJwk] }));
  fs.mkdirSync(path.join(dir, 'mandates'), { recursive: true });
  for (const [name, text] of Object.entries(mandates)) fs.writeFileSync(path.join(dir, 'mandates', name), text);
  const data = path.join(dir, 'data');
  const args = ['serve', '--listen', '127.0.0.1:0', '--port-file', path.join(dir, 'port'),
    '--mandates', path.join(dir, 'mandates'), '--data', data,
    '--trust-bundle', `spiffe://${trustDomain}=${path.join(dir, 'bundle.json')}`];
  if (checkRoutes) {
    fs.writeFileSync(path.join(dir, 'routes.yaml'), checkRoutes);
    args.push('--check-routes', path.join(dir, 'routes.yaml'));
  }
  args.push(...extraArgs);
  const child = spawn(bin, args, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', quiet ? 'ignore' : 'inherit'] });
  const port = await waitForFile(path.join(dir, 'port'), 30000);
  const url = `http://127.0.0.1:${port}`;
  const adminToken = await waitForFile(path.join(data, 'admin.token'), 5000);
  return {
    url,
    child,
    adminToken,
    epTokenFile: path.join(data, 'ep.token'),
    // `extra` joins the body (e.g. `delegated_task` to start a child a delegation created).
    async startTask(agent, spiffeId, mandate, inputs = {}, extra = {}) {
      const svid = await new jose.SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'svid-1', typ: 'JWT' })
        .setSubject(spiffeId).setAudience('mandate').setIssuedAt().setExpirationTime('5m').sign(svidKey.privateKey);
      const r = await fetch(url + '/v1/tasks', { method: 'POST', headers: {
        authorization: 'Bearer ' + svid, dpop: await agent.proof('POST', url + '/v1/tasks'),
        'content-type': 'application/json' }, body: JSON.stringify({ mandate, inputs, ...extra }) });
      const body = await r.json();
      if (r.status !== 201) throw new Error('task start failed: ' + r.status + ' ' + JSON.stringify(body));
      return { taskId: body.task_id, token: body.task_token };
    },
    async revokeTask(taskId) {
      const r = await fetch(url + '/v1/revocations', { method: 'POST', headers: {
        authorization: 'Bearer ' + adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'task', value: taskId, reason: 'test' }) });
      if (r.status !== 201) throw new Error('revocation failed: ' + r.status + ' ' + await r.text());
    },
    close() { child.kill('SIGTERM'); },
  };
}

module.exports = { startRealAuthority };
