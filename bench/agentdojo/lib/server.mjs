// Starts the real `mandate serve` on 127.0.0.1 with a port the kernel picks (port 0, read back
// from --port-file), waits until /healthz answers, and stops it. Bounded waits only.

import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export async function startServer({ bin, mandatesDir, dataDir, bundlePath, trustDomain, logPath, startupMs = 20000 }) {
  const portFile = join(dataDir, 'port');
  const args = [
    'serve',
    '--listen', '127.0.0.1:0',
    '--port-file', portFile,
    '--mandates', mandatesDir,
    '--data', join(dataDir, 'store'),
    '--trust-bundle', `spiffe://${trustDomain}=${bundlePath}`,
  ];
  const log = openSync(logPath, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', log, log] });
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; ++i) await sleep(100);
    if (!exited) child.kill('SIGKILL');
  };
  const deadline = Date.now() + startupMs;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`mandate serve exited (${exited.code ?? exited.signal}) before listening; see ${logPath}:\n${tail(logPath)}`);
    }
    const port = existsSync(portFile) ? readFileSync(portFile, 'utf8').trim() : '';
    if (/^\d+$/.test(port)) {
      const baseUrl = `http://127.0.0.1:${port}`;
      try {
        const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return { baseUrl, stop, args };
      } catch {
        // not accepting yet
      }
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`mandate serve did not answer /healthz within ${startupMs} ms; see ${logPath}:\n${tail(logPath)}`);
}

function tail(path) {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}
