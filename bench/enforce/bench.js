// bench/enforce: gateway overhead against a direct call at fixed rates and at saturation, and
// revocation propagation to 10 subscribed gateways. Driven by run.sh.
// Usage: node bench.js MANDATE_BIN LOADGEN_BIN [REVOCATIONS]
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFile } = require('node:child_process');
const { startFakeAuthority } = require('../../tests/enforce/fake_authority.js');
const { newAgent } = require('../../tests/enforce/agent.js');

const [bin, loadgen, revocationsArg] = process.argv.slice(2);
const REVOCATIONS = Number(revocationsArg || 1000);
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
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 20000);
    const look = (d) => {
      out += d;
      const m = pattern && out.match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, match: m }); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', (d) => { if (out.length < 10000) look(d); });
    if (!pattern) { clearTimeout(timer); resolve({ child }); }
  });
}

function percentile(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]; }

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

  const epToken = 'ep-bench';
  fs.writeFileSync(path.join(dir, 'ep.token'), epToken, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'key'), 'bench-key', { mode: 0o600 });
  const authority = await startFakeAuthority({ epToken, adminToken: 'admin', policy: { bench: { read_item: {} } } });
  const gatewayConfig = (port) => `
listen: 127.0.0.1:${port}
authority: ${authority.url}
ep_token_file: ${dir}/ep.token
public_url: http://gw.bench
systems:
  - name: bench
    upstream: http://127.0.0.1:${upPort}
    credential: {type: header, header: X-Api-Key, secret: "file:${dir}/key"}
    routes:
      - {method: GET, path: "/items/{id}", action: read_item, resource: "items/{id}"}
`;
  const gateways = [];
  for (let i = 0; i < 10; i++) {
    const file = path.join(dir, `gw${i}.yaml`);
    fs.writeFileSync(file, gatewayConfig(0));
    const g = await start(bin, ['gateway', '--config', file], /gateway listening on (http:\/\/[0-9.:]+)/);
    gateways.push(g.match[1]);
  }
  const agent = await newAgent();
  const keyFile = path.join(dir, 'agent.jwk');
  await agent.writePrivateJwk(keyFile);
  const task = await authority.mintTask(agent.jkt);

  console.log('# gateway overhead (upstream: nginx 200; authority: tests/enforce/fake_authority.js,');
  console.log('#   a node stand-in that verifies every DPoP proof with jose; credential injected)');
  // Asynchronous: the stand-in authority runs in this process and must keep answering.
  const run = (url, rate, seconds, extra) => new Promise((resolve) => {
    execFile(loadgen, ['--url', url, '--rate', String(rate), '--seconds', String(seconds),
      '--connections', '16', ...extra], { encoding: 'utf8', maxBuffer: 1 << 20 },
    (err, stdout) => resolve(JSON.parse(stdout.trim().split('\n').pop())));  // exit 3: counts tell
  });
  const rows = [];
  for (const rate of [1000, 3000, 0]) {
    const direct = await run(`http://127.0.0.1:${upPort}/items/1`, rate, 5, []);
    // For the direct call the key is sent by the client itself (what the agent must not hold).
    const via = await run(`${gateways[0]}/bench/items/1`, rate, 5,
      ['--task-token', task.token, '--agent-key', keyFile, '--htu', 'http://gw.bench/bench/items/1']);
    rows.push({ rate: rate || 'saturation', direct, via });
    console.log(`rate ${rate || 'max'}: direct p50 ${direct.p50_us} us p99 ${direct.p99_us} us (${direct.rps}/s, ok ${direct.ok}/${direct.sent}) | ` +
      `gateway p50 ${via.p50_us} us p99 ${via.p99_us} us (${via.rps}/s, ok ${via.ok}/${via.sent}) | ` +
      `overhead p99 +${((via.p99_us - direct.p99_us) / 1000).toFixed(2)} ms`);
  }

  console.log(`# revocation propagation: revoke call -> first 403 at each of 10 gateways, ${REVOCATIONS} revocations`);
  console.log('#   (the stand-in authority answers "allow" after revocation, so only the pushed deny set refuses)');
  authority.state.lagging = true;
  const samples = [];
  for (let r = 0; r < REVOCATIONS; r++) {
    const t = await authority.mintTask(agent.jkt);
    const t0 = process.hrtime.bigint();
    await authority.revokeTask(t.taskId);
    await Promise.all(gateways.map(async (g) => {
      for (let attempt = 0; attempt < 2000; attempt++) {
        const res = await fetch(`${g}/bench/items/1`, { headers: { authorization: 'DPoP ' + t.token,
          dpop: await agent.proof('GET', 'http://gw.bench/bench/items/1', t.token) } });
        await res.arrayBuffer();
        if (res.status === 403) { samples.push(Number(process.hrtime.bigint() - t0) / 1e6); return; }
      }
      throw new Error('revocation never reached ' + g);
    }));
  }
  samples.sort((a, b) => a - b);
  console.log(`revocation propagation over ${samples.length} (revocation, gateway) pairs: p50 ${percentile(samples, 0.5).toFixed(2)} ms, ` +
    `p99 ${percentile(samples, 0.99).toFixed(2)} ms, max ${samples.at(-1).toFixed(2)} ms (target p99 <= 50 ms)`);
  authority.close();
  for (const c of children) c.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
