// Interop with `jose` (an independent JOSE implementation), both directions.
// usage: node jose_interop.mjs DRIVER WORKDIR
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const base = new URL('../node/node_modules/', import.meta.url);
const jose = await import(new URL('jose/dist/webapi/index.js', base));
const [driver, workdir] = process.argv.slice(2);
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};
const run = (args, input) => {
  const r = spawnSync(driver, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`driver ${args[0]} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n');
};

// 1. Mandate's task tokens and step credentials verify in jose.
for (const alg of ['EdDSA', 'ES256']) {
  const agent = await jose.generateKeyPair(alg === 'EdDSA' ? 'EdDSA' : 'ES256', { extractable: true });
  const agentJwk = await jose.exportJWK(agent.publicKey);
  const jkt = await jose.calculateJwkThumbprint(agentJwk, 'sha256');
  const minted = JSON.parse(run(['mint', alg, jkt])[0]);
  const keys = jose.createLocalJWKSet(JSON.parse(minted.jwks));
  const task = await jose.jwtVerify(minted.task_token, keys, {
    issuer: 'https://mandate.test', audience: 'https://mandate.test', typ: 'mandate-task+jwt',
    algorithms: [alg], requiredClaims: ['exp', 'iat', 'jti'],
  });
  check(task.payload.cnf.jkt === jkt && task.payload.mandate === 'payments' &&
        task.payload.mandate_version === 3 && task.payload.task_id === 'task-42',
        `${alg} task token verifies in jose with cnf.jkt = jose's RFC 7638 thumbprint`);
  const step = await jose.jwtVerify(minted.step_credential, keys, {
    issuer: 'https://mandate.test', audience: 'github', typ: 'mandate-step+jwt', algorithms: [alg],
  });
  const p = step.payload;
  check(p.action === 'issues.create' && p.resource === 'repo/acme/app' && p.step === 'open-issue' &&
        p.act.sub === 'spiffe://example.org/agent/executor' &&
        p.act.act.sub === 'spiffe://example.org/agent/root' && p.single_use === true &&
        p.exp - p.iat === 60 && p.cnf.jkt === jkt,
        `${alg} step credential verifies in jose with act nesting, 60 s life, single_use`);
  let refused = false;
  try {
    await jose.jwtVerify(minted.step_credential, keys, { issuer: 'https://mandate.test', audience: 'slack' });
  } catch (e) { refused = e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'; }
  check(refused, `${alg} step credential for github is refused by jose for audience slack`);
}

// 2. Tokens minted by jose verify in Mandate (every algorithm), and tampering is caught.
const jwks = { keys: [] };
const tokens = [];
const now = Math.floor(Date.now() / 1000);
for (const alg of ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256']) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  jwk.kid = `jose-${alg}`;
  jwk.alg = alg;
  jwks.keys.push(jwk);
  tokens.push(await new jose.SignJWT({ scope: 'tools' })
    .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
    .setIssuer('https://jose.test').setAudience('mandate').setSubject(`agent-${alg}`)
    .setIssuedAt(now).setExpirationTime(now + 300).setJti(`j-${alg}`).sign(privateKey));
}
writeFileSync(`${workdir}/jose_jwks.json`, JSON.stringify(jwks));
// Flip one full-value signature character (never a no-op: the replacement
// always differs from the character it replaces).
const flipAt = tokens[0].lastIndexOf('.') + 5;
const tampered = tokens[0].slice(0, flipAt) + (tokens[0][flipAt] === 'A' ? 'Q' : 'A') +
  tokens[0].slice(flipAt + 1);
const answers = run(['verify-jwt', `${workdir}/jose_jwks.json`, 'https://jose.test', 'mandate'],
  [...tokens, tampered].join('\n') + '\n');
['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'].forEach((alg, i) =>
  check(answers[i] === `ok agent-${alg}`, `jose ${alg} token verifies in Mandate (${answers[i]})`));
check(answers[5].startsWith('rejected jws.'), `tampered jose token is rejected (${answers[5]})`);
writeFileSync(`${workdir}/jose_token.txt`, tokens[1]);

// 3. DPoP proofs minted by jose verify in Mandate; a replay is refused.
for (const alg of ['EdDSA', 'ES256']) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const jkt = await jose.calculateJwkThumbprint(jwk, 'sha256');
  const accessToken = tokens[0];
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
  const ath = jose.base64url.encode(digest);
  const proof = await new jose.SignJWT({ htm: 'POST', htu: 'https://gw.test/tools/call', ath })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk }).setJti(crypto.randomUUID())
    .setIssuedAt().sign(privateKey);
  const out = run(['verify-dpop', 'POST', 'https://gw.test/tools/call?x=1', jkt, accessToken],
    `${proof}\n${proof}\n`);
  check(out[0] === `ok ${jkt}`, `jose ${alg} DPoP proof verifies in Mandate against cnf.jkt (${out[0]})`);
  check(out[1].startsWith('rejected dpop.replayed'), `replayed jose ${alg} proof is refused (${out[1]})`);
}

console.log(failures === 0 ? 'jose interop: all passed' : `jose interop: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
