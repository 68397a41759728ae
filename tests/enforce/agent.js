// A test agent: its own ES256 key (jose), DPoP proofs (RFC 9449) for each request.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const jose = require('jose');

async function newAgent() {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);
  const jkt = await jose.calculateJwkThumbprint(publicJwk);
  return {
    jkt,
    publicJwk,
    async writePrivateJwk(file) {
      const jwk = await jose.exportJWK(privateKey);
      jwk.alg = 'ES256';
      fs.writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
    },
    // A fresh proof for `method` + `url` (query dropped), bound to `token` when given.
    async proof(method, url, token) {
      const u = new URL(url);
      const claims = { htm: method, htu: u.origin + u.pathname, jti: crypto.randomUUID() };
      if (token) claims.ath = crypto.createHash('sha256').update(token).digest('base64url');
      return new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk })
        .setIssuedAt().sign(privateKey);
    },
  };
}

module.exports = { newAgent };
