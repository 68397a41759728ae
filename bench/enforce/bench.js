// bench/enforce: gateway overhead against a direct call at fixed rates and at saturation, and
// revocation propagation to 10 subscribed gateways, against the REAL authority (`mandate serve`:
// JWT-SVID + DPoP identity, chain and Cedar guard, durable audit record per decision) and a
// real upstream (nginx). Driven by run.sh.
// Usage: node bench.js MANDATE_BIN LOADGEN_BIN [REVOCATIONS] [SECONDS]
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFile } = require('node:child_process');
const { startRealAuthority } = require('../../tests/enforce/real_authority.js');
const { newAgent } = require('../../tests/enforce/agent.js');

const [bin, loadgen, revocationsArg, secondsArg] = process.argv.slice(2);
const REVOCATIONS = Number(revocationsArg || 1000);
const SECONDS = Number(secondsArg || 5);
const GATEWAYS = 10;
const children = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function start(cmd, args, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 30000);
    const look = (d) => {
      if (out.length > 10000) return;  // keep draining the pipe, stop keeping the text
      out += d;
      const m = pattern && out.match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, match: m }); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    if (!pattern) { clearTimeout(timer); resolve({ child }); }
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const ms = (us) => (us / 1000).toFixed(2);

const SPIFFE_ID = 'spiffe://example.org/agents/bench';
const MANDATE = `
name: bench
version: 1.0.0
owner: security@example.com
description: read items, one guarded step
agents:
  - spiffe_id: ${SPIFFE_ID}
systems:
  - name: bench
    kind: http
    audience: https://bench.example.org
    upstream: http://127.0.0.1/
steps:
  - id: read
    system: bench
    actions: read_item
    resources: items/*
    args: {id: long}
    guard: 'context.args.id < 1000000'
limits:
  deadline: 30m
  max_calls: 1000000
`;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-bench-'));
  // Upstream: nginx answering 200 with a fixed body, on its own dynamic port.
  const upPort = await freePort();
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${upPort}; keepalive_requests 1000000;
    location / { return 200 "ok"; } } }`);
  await start('nginx', ['-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'nginx.err')]);
  await new Promise((r) => setTimeout(r, 300));

  const authority = await startRealAuthority(bin, dir, { mandates: { 'bench.yaml': MANDATE }, quiet: true });
  children.push(authority.child);
  fs.writeFileSync(path.join(dir, 'key'), 'bench-key', { mode: 0o600 });
  const gatewayConfig = `
listen: 127.0.0.1:0
authority: ${authority.url}
ep_token_file: ${authority.epTokenFile}
public_url: http://gw.bench
systems:
  - name: bench
    upstream: http://127.0.0.1:${upPort}
    audience: https://bench.example.org
    credential: {type: header, header: X-Api-Key, secret: "file:${dir}/key"}
    routes:
      - {method: GET, path: "/items/{id}", action: read_item, resource: "items/{id}", types: {id: long}}
`;
  const gateways = [];
  for (let i = 0; i < GATEWAYS; i++) {
    const file = path.join(dir, `gw${i}.yaml`);
    fs.writeFileSync(file, gatewayConfig);
    const g = await start(bin, ['gateway', '--config', file], /gateway listening on (http:\/\/[0-9.:]+)/);
    gateways.push(g.match[1]);
  }
  const agent = await newAgent();
  const keyFile = path.join(dir, 'agent.jwk');
  await agent.writePrivateJwk(keyFile);
  const stepCredential = async (task) => {
    const url = authority.url + '/v1/authorize';
    const r = await fetch(url, { method: 'POST', headers: { authorization: 'DPoP ' + task.token,
      dpop: await agent.proof('POST', url, task.token), 'content-type': 'application/json' },
    body: JSON.stringify({ system: 'bench', action: 'read_item', resource: 'items/1', args: { id: 1 } }) });
    const body = await r.json();
    if (body.decision !== 'allow') throw new Error('no step credential: ' + JSON.stringify(body));
    return body.credential;
  };

  const load = os.loadavg()[0].toFixed(1);
  console.log(`# mandate bench/enforce ${new Date().toISOString()}  load average ${load}  ${os.cpus().length} cpus`);
  console.log('# upstream: nginx `return 200`; authority: mandate serve (JWT-SVID task, DPoP per call, chain +');
  console.log('#   Cedar guard, durable SQLite audit record before every answer); gateway injects X-Api-Key');
  // At saturation the proofs are minted before the run; a bounded number keeps them (and the
  // 60 s step credential) fresh on a slow machine: the run ends when they are used up.
  const run = (url, rate, extra) => new Promise((resolve) => {
    execFile(loadgen, ['--url', url, '--rate', String(rate), '--seconds', String(SECONDS),
      '--connections', '16', '--max-proofs', '10000', ...extra], { encoding: 'utf8', maxBuffer: 1 << 20 },
    (err, stdout) => resolve(JSON.parse(stdout.trim().split('\n').pop())));  // exit 3: counts tell
  });
  const fmt = (r) => `p50 ${ms(r.p50_us)} ms p99 ${ms(r.p99_us)} ms (${r.rps}/s, ok ${r.ok}/${r.sent})`;
  const htu = 'http://gw.bench/bench/items/1';
  for (const rate of [1000, 3000, 0]) {
    const direct = await run(`http://127.0.0.1:${upPort}/items/1`, rate, []);
    // Task token: the gateway asks the authority for every call (identity, policy, audit on).
    const task = await authority.startTask(agent, SPIFFE_ID, 'bench');
    const decided = await run(`${gateways[0]}/bench/items/1`, rate,
      ['--task-token', task.token, '--agent-key', keyFile, '--htu', htu]);
    // Held step credential: verified at the gateway (JWKS signature, DPoP, deny set), no round trip.
    const credential = await stepCredential(await authority.startTask(agent, SPIFFE_ID, 'bench'));
    const local = await run(`${gateways[0]}/bench/items/1`, rate,
      ['--task-token', credential, '--agent-key', keyFile, '--htu', htu]);
    const label = rate ? `${rate}/s` : 'saturation';
    console.log(`${label}: direct ${fmt(direct)}`);
    console.log(`${label}: gateway, authority per call ${fmt(decided)}: p99 overhead +${ms(decided.p99_us - direct.p99_us)} ms`);
    console.log(`${label}: gateway, held step credential ${fmt(local)}: p99 overhead +${ms(local.p99_us - direct.p99_us)} ms`);
  }

  console.log(`# revocation propagation: revoke call -> first 403 at each of ${GATEWAYS} gateways, ${REVOCATIONS} revocations`);
  console.log('#   the agent presents a held step credential, so only the pushed deny set can refuse it');
  const samples = [];
  const revokeCalls = [];  // the revoke call alone (durable write), part of every sample
  const proofs = async (token, n) => Promise.all(Array.from({ length: n }, () => agent.proof('GET', htu, token)));
  for (let r = 0; r < REVOCATIONS; r++) {
    if (r && r % 100 === 0) console.error(`  ${r} revocations measured`);
    const task = await authority.startTask(agent, SPIFFE_ID, 'bench');
    const credential = await stepCredential(task);
    const ready = await Promise.all(gateways.map(() => proofs(credential, 4)));
    const t0 = process.hrtime.bigint();
    await authority.revokeTask(task.taskId);
    revokeCalls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await Promise.all(gateways.map(async (g, i) => {
      for (let attempt = 0; attempt < 5000; attempt++) {
        const proof = ready[i].pop() || await agent.proof('GET', htu, credential);
        const res = await fetch(`${g}/bench/items/1`, { headers: { authorization: 'DPoP ' + credential, dpop: proof } });
        await res.arrayBuffer();
        if (res.status === 403) { samples.push(Number(process.hrtime.bigint() - t0) / 1e6); return; }
        if (res.status !== 200) throw new Error(`gateway ${i}: unexpected ${res.status}`);
      }
      throw new Error('revocation never reached ' + g);
    }));
  }
  samples.sort((a, b) => a - b);
  console.log(`revocation propagation over ${samples.length} (revocation, gateway) pairs: p50 ${percentile(samples, 0.5).toFixed(2)} ms, ` +
    `p99 ${percentile(samples, 0.99).toFixed(2)} ms, max ${samples.at(-1).toFixed(2)} ms (target p99 <= 50 ms)`);
  revokeCalls.sort((a, b) => a - b);
  console.log(`  of which the revoke call itself (until its 201): p50 ${percentile(revokeCalls, 0.5).toFixed(2)} ms, ` +
    `p99 ${percentile(revokeCalls, 0.99).toFixed(2)} ms`);
  for (const c of children) c.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
