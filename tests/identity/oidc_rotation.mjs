// A real oidc-provider (npm, pinned) on 127.0.0.1 with a dynamic port issues client-credentials
// JWT access tokens; Mandate verifies them through discovery while the provider rotates keys.
// usage: node oidc_rotation.mjs DRIVER
import { spawn } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';

const base = new URL('../node/node_modules/', import.meta.url);
const jose = await import(new URL('jose/dist/webapi/index.js', base));
const { default: Provider } = await import(new URL('oidc-provider/lib/index.js', base));
const driverPath = process.argv[2];
const AUDIENCE = 'urn:mandate:gateway';
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

async function rsaKey(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}
const keyA = await rsaKey('key-a');
const keyB = await rsaKey('key-b');

let current = null;
const server = http.createServer((req, res) => current.callback()(req, res));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

function makeProvider(keys) {
  const provider = new Provider(issuer, {
    jwks: { keys },
    clients: [{ client_id: 'agent-7', client_secret: 'agent-7-secret', grant_types: ['client_credentials'],
                redirect_uris: [], response_types: [] }],
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'tools', audience: AUDIENCE, accessTokenFormat: 'jwt',
                                        jwt: { sign: { alg: 'RS256' } } }),
      },
    },
  });
  provider.on('server_error', (ctx, err) => console.error('provider error', err));
  return provider;
}

async function token() {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded',
               authorization: 'Basic ' + Buffer.from('agent-7:agent-7-secret').toString('base64') },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'tools', resource: AUDIENCE }),
  });
  const body = await res.json();
  if (!body.access_token) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
  return body.access_token;
}

const driver = spawn(driverPath, ['oidc', issuer, AUDIENCE, '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = readline.createInterface({ input: driver.stdout })[Symbol.asyncIterator]();
async function verify(t) {
  driver.stdin.write(t + '\n');
  const { value } = await lines.next();
  return value;
}
const kidOf = (t) => JSON.parse(Buffer.from(t.split('.')[0], 'base64url')).kid;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  current = makeProvider([keyA]);
  const tA = await token();
  check(kidOf(tA) === 'key-a', 'provider signs with key-a');
  let r = await verify(tA);
  check(r === `ok ${issuer}#agent-7`, `client-credentials JWT access token accepted via discovery (${r})`);

  current = makeProvider([keyB, keyA]);  // rotation: key-b signs, key-a still published
  const tB = await token();
  check(kidOf(tB) === 'key-b', 'after rotation the provider signs with key-b');
  r = await verify(tB);
  check(r.startsWith('ok '), `token of the new key accepted (unknown kid -> refresh) (${r})`);
  r = await verify(tA);
  check(r.startsWith('ok '), `token of the old key still accepted during overlap (${r})`);

  current = makeProvider([keyB]);  // key-a removed
  await sleep(1300);  // past the verifier's 1 s cache lifetime
  r = await verify(tA);
  check(r.startsWith('rejected jws.kid_unknown'), `token signed by the removed key rejected (${r})`);
  r = await verify(await token());
  check(r.startsWith('ok '), `new tokens still accepted (${r})`);
  r = await verify(tB.slice(0, -3) + (tB.endsWith('AAA') ? 'BAA' : 'AAA'));
  check(r.startsWith('rejected jws.'), `tampered access token rejected (${r})`);
} finally {
  driver.stdin.end();
  server.close();
}
console.log(failures === 0 ? 'oidc rotation: all passed' : `oidc rotation: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
