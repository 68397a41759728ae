// Starts `mandate gateway --config FILE` for enforcement tests and resolves once it listens:
// { child, logs (everything it wrote, stdout and stderr), url }.
'use strict';
const { spawn } = require('node:child_process');

function startGateway(bin, configFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['gateway', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs = [];
    child.stderr.on('data', (d) => logs.push(String(d)));
    let out = '';
    const timer = setTimeout(() => reject(new Error('gateway did not start: ' + out + logs.join(''))), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      logs.push(String(d));
      const m = out.match(/gateway listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) { clearTimeout(timer); resolve({ child, logs, url: m[1] }); }
    });
    child.on('exit', (code) => reject(new Error(`gateway exited ${code}: ${logs.join('')}`)));
  });
}

module.exports = { startGateway };
