// The replayed agent: a SPIFFE workload with a JWT-SVID signed by a test trust domain key, and
// a proof-of-possession key (RFC 9449 DPoP) that becomes each task's key. Uses `jose`, an
// independent JOSE implementation, so the server is checked against software nobody here wrote.

import { createRequire } from 'node:module';
import { randomUUID, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const requireFromPeers = createRequire(join(repo, 'tests', 'node', 'package.json'));
const jose = await import(pathToFileURL(requireFromPeers.resolve('jose')).href);

export const kTrustDomain = 'example.org';
export const kAgentId = `spiffe://${kTrustDomain}/agents/agentdojo`;
export const kAudience = 'mandate';

export class Agent {
  // `bundlePath`: where the trust domain's JWKS is written (for --trust-bundle).
  static async create({ bundlePath, svidAlg = 'ES256', dpopAlg = 'ES256', spiffeId = kAgentId }) {
    const agent = new Agent();
    agent.spiffeId = spiffeId;
    agent.svidAlg = svidAlg;
    agent.dpopAlg = dpopAlg;
    const authority = await jose.generateKeyPair(svidAlg, { extractable: true });
    agent.authorityKey = authority.privateKey;
    agent.authorityKid = `agentdojo-${randomUUID().slice(0, 8)}`;
    const publicJwk = await jose.exportJWK(authority.publicKey);
    const bundle = { keys: [{ ...publicJwk, kid: agent.authorityKid, alg: svidAlg, use: 'jwt-svid' }] };
    writeFileSync(bundlePath, JSON.stringify(bundle, null, 2));
    const pop = await jose.generateKeyPair(dpopAlg, { extractable: true });
    agent.popKey = pop.privateKey;
    agent.popJwk = await jose.exportJWK(pop.publicKey);
    return agent;
  }

  // A fresh JWT-SVID for audience `mandate`, valid five minutes.
  async svid() {
    return new jose.SignJWT({})
      .setProtectedHeader({ alg: this.svidAlg, kid: this.authorityKid, typ: 'JWT' })
      .setSubject(this.spiffeId)
      .setAudience(kAudience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.authorityKey);
  }

  // A DPoP proof for one request; `accessToken` binds it to a task token (`ath`).
  async proof(method, url, accessToken) {
    const claims = { htm: method, htu: url, jti: randomUUID() };
    if (accessToken) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: this.dpopAlg, typ: 'dpop+jwt', jwk: this.popJwk })
      .setIssuedAt()
      .sign(this.popKey);
  }
}

// Thin client of the authority's HTTP API (docs/api.md) acting as the agent.
export class AuthorityClient {
  constructor(baseUrl, agent, { timeoutMs = 10000 } = {}) {
    this.baseUrl = baseUrl;
    this.agent = agent;
    this.timeoutMs = timeoutMs;
  }

  async #post(path, body, authorization, accessToken) {
    const url = `${this.baseUrl}${path}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization,
        dpop: await this.agent.proof('POST', url, accessToken),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { error: { code: 'replay.not_json', message: text.slice(0, 200) } };
    }
    return { status: res.status, body: json };
  }

  // Starts a task under `mandate` with `inputs`; returns {taskId, token} or throws with the
  // server's error.
  async startTask(mandate, inputs) {
    const svid = await this.agent.svid();
    const { status, body } = await this.#post('/v1/tasks', { mandate, inputs }, `Bearer ${svid}`);
    if (status !== 201 || typeof body.task_token !== 'string') {
      const e = body.error ?? {};
      throw new Error(`start task under \`${mandate}\`: http ${status}: ${e.code ?? '?'}: ${e.message ?? JSON.stringify(body)}`);
    }
    return { taskId: body.task_id, token: body.task_token };
  }

  // Decides one call. Returns {decision, reasons, taskRevoked, step, httpStatus, error}.
  async authorize(task, request) {
    const { status, body } = await this.#post('/v1/authorize', request, `DPoP ${task.token}`, task.token);
    if (status !== 200) {
      const e = body.error ?? {};
      return {
        decision: 'error',
        httpStatus: status,
        reasons: [{ check: 'http', code: e.code ?? `http.${status}`, message: e.message ?? '' }],
        taskRevoked: false,
      };
    }
    return {
      decision: body.decision,
      step: body.step ?? null,
      reasons: Array.isArray(body.reasons) ? body.reasons : [],
      taskRevoked: body.task_revoked === true,
      httpStatus: status,
    };
  }

  async complete(task) {
    return this.#post(`/v1/tasks/${encodeURIComponent(task.taskId)}/complete`, {}, `DPoP ${task.token}`, task.token);
  }
}
