// Acting on behalf of a user over the real `mandate serve` and a real OIDC provider
// (`oidc-provider`, npm, pinned) on 127.0.0.1: a task started with a user's token may do only
// what both the mandate and the user's own entitlements (Cedar policies over User entities in
// the governance file) allow; the agent never gets the user's token; the audit trail names the
// user as principal and the agent as actor.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const jose = require('jose');
const { newAgent } = require('../enforce/agent.js');
const { startRealAuthority } = require('../enforce/real_authority.js');
const { Api } = require('./api.js');

const bin = process.env.MANDATE_BIN || process.argv[2];
const RESOURCE = 'urn:mandate:users';
const AGENT = 'spiffe://example.org/agents/ops/assistant';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-on-behalf-'));
let server, api, provider, issuer;

async function userToken(user) {
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: 'Basic ' + Buffer.from(`${user}:${user}-secret`).toString('base64') },
  body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'tools', resource: RESOURCE }) });
  const body = await res.json();
  if (!body.access_token) throw new Error('token endpoint: ' + JSON.stringify(body));
  return body.access_token;
}

test.before(async () => {
  const { default: Provider } = await import(pathToFileURL(
    path.join(__dirname, '../node/node_modules/oidc-provider/lib/index.js')).href);
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const key = { ...(await jose.exportJWK(privateKey)), kid: 'users-1', alg: 'RS256', use: 'sig' };
  provider = http.createServer((req, res) => oidc.callback()(req, res));
  await new Promise((r) => provider.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${provider.address().port}`;
  const oidc = new Provider(issuer, {
    jwks: { keys: [key] },
    clients: ['alice', 'bob', 'mallory'].map((u) => ({ client_id: u, client_secret: u + '-secret',
      grant_types: ['client_credentials'], redirect_uris: [], response_types: [] })),
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: { enabled: true, defaultResource: () => RESOURCE, useGrantedResource: () => true,
        // Tokens for Mandate carry its bootstrap audience.
        getResourceServerInfo: () => ({ scope: 'tools', audience: 'mandate', accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } } }) },
    },
  });
  const entities = [
    { uid: { type: 'User', id: `${issuer}#alice` }, attrs: {}, parents: [{ type: 'Group', id: 'readers' }] },
    { uid: { type: 'User', id: `${issuer}#bob` }, attrs: {}, parents: [{ type: 'Group', id: 'editors' }] },
    { uid: { type: 'Group', id: 'readers' }, attrs: {}, parents: [] },
    { uid: { type: 'Group', id: 'editors' }, attrs: {}, parents: [] },
  ];
  fs.writeFileSync(path.join(dir, 'governance.yaml'), `
approver_groups: {wiki-approvers: ['${issuer}#bob']}
mandate_approvers: {ops: wiki-approvers}
user_entities: '${JSON.stringify(entities)}'
user_policies: |
  permit (principal in Group::"readers", action == Action::"read", resource);
  permit (principal in Group::"editors", action in [Action::"read", Action::"write"], resource);
  forbid (principal, action, resource) when { context.call.resource like "/docs/secret*" };
`);
  server = await startRealAuthority(bin, dir, {
    mandates: { 'ops.yaml': fs.readFileSync(path.join(__dirname, 'ops.yaml'), 'utf8') + `
policies:
  - id: budget-page
    cedar: |
      @escalate("true")
      forbid (principal, action == Action::"write", resource)
      when { context.call.resource == "/docs/budget" };
` },
    extraArgs: ['--governance', path.join(dir, 'governance.yaml'), '--oidc-issuer', issuer] });
  api = new Api(server, dir);
});
test.after(() => { if (server) server.close(); if (provider) provider.close(); });

async function onBehalfOf(user) {
  const agent = await newAgent();
  const token = await userToken(user);
  const task = await server.startTask(agent, AGENT, 'ops', {}, { on_behalf_of: token });
  return { agent, task, token };
}

test('the agent can do for a user only what the user may do', async () => {
  const alice = await onBehalfOf('alice');
  assert.strictEqual((await api.call(alice.agent, alice.task, 'wiki', 'GET', '/docs/a')).decision, 'allow');
  const write = await api.call(alice.agent, alice.task, 'wiki', 'PUT', '/docs/a');
  assert.strictEqual(write.decision, 'deny');
  assert.strictEqual(write.reasons[0].code, 'on_behalf.user_not_entitled');
  // (Each deny below is a deviation that ends its task: a fresh task per check.)
  const bob = await onBehalfOf('bob');
  assert.strictEqual((await api.call(bob.agent, bob.task, 'wiki', 'PUT', '/docs/a')).decision, 'allow');
  // The user's forbid holds for the agent too.
  const secret = await api.call(bob.agent, bob.task, 'wiki', 'GET', '/docs/secret-plan');
  assert.strictEqual(secret.reasons[0].code, 'on_behalf.user_not_entitled');
  // The mandate still bounds the user: no step writes below /docs/x/y.
  const bob2 = await onBehalfOf('bob');
  const deep = await api.call(bob2.agent, bob2.task, 'wiki', 'PUT', '/docs/a/b');
  assert.strictEqual(deep.decision, 'deny');
  assert.strictEqual(deep.reasons[0].check, 'chain');
  // A user with no entitlement gets nothing done.
  const mallory = await onBehalfOf('mallory');
  assert.strictEqual((await api.call(mallory.agent, mallory.task, 'wiki', 'GET', '/docs/a')).decision, 'deny');
});

test('the user token is verified, never handed on; audit names principal and agent', async () => {
  const alice = await onBehalfOf('alice');
  assert.ok(!alice.task.token.includes(alice.token.split('.')[1]));
  const d = await api.call(alice.agent, alice.task, 'wiki', 'GET', '/docs/b');
  assert.ok(!JSON.stringify(d).includes(alice.token.split('.')[2]));
  const view = await api.operator('GET', '/v1/tasks/' + alice.task.taskId);
  assert.strictEqual(view.body.on_behalf_of, `${issuer}#alice`);
  const records = (await api.auditText()).trim().split('\n').map((l) => JSON.parse(l).record);
  const call = records.find((r) => r.task === alice.task.taskId && r.resource === '/docs/b');
  assert.strictEqual(call.principal, `${issuer}#alice`);
  assert.strictEqual(call.agent, AGENT);
  // A forged or foreign token starts nothing.
  const forged = alice.token.slice(0, -4) + (alice.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await assert.rejects(server.startTask(await newAgent(), AGENT, 'ops', {}, { on_behalf_of: forged }), /401|403|400/);
  await assert.rejects(server.startTask(await newAgent(), AGENT, 'ops', {}, { on_behalf_of: 'not-a-jwt' }), /401|403|400/);
});

test('a person in the mandate\'s approver group approves with their OIDC token; others cannot', async () => {
  const agent = await newAgent();
  const task = await server.startTask(agent, AGENT, 'ops');
  const held = await api.call(agent, task, 'wiki', 'PUT', '/docs/budget');
  assert.strictEqual(held.decision, 'pending', JSON.stringify(held));
  const as = async (user) => api.operator('POST', `/v1/approvals/${held.approval_id}/approve`, {}, await userToken(user));
  const alice = await as('alice');
  assert.strictEqual(alice.status, 403);
  assert.strictEqual(alice.body.error.code, 'approval.not_approver');
  // An approver sees only what they may decide.
  const listed = await api.operator('GET', '/v1/approvals?state=pending', undefined, await userToken('alice'));
  assert.strictEqual(listed.body.approvals.length, 0);
  const bob = await as('bob');
  assert.strictEqual(bob.status, 200, JSON.stringify(bob.body));
  assert.strictEqual(bob.body.decided_by, `${issuer}#bob`);
  assert.strictEqual((await api.call(agent, task, 'wiki', 'PUT', '/docs/budget')).decision, 'allow');
});
