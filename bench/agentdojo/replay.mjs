#!/usr/bin/env node
// Replays AgentDojo-format traces against the real authority (`mandate serve`) and writes the
// outcome as JSON (see docs/benchmarks/agentdojo.md for what is measured and why).
//
//   node bench/agentdojo/replay.mjs [--bin build/mandate] [--traces FILE] [--examples DIR]
//        [--suite NAME]... [--out results.json] [--jobs 8]
//
// For each suite it loads examples/<suite>/mandate.yaml (plus optional binding.json and
// inputs.json), starts ONE server with those mandates on 127.0.0.1:0, and replays every user
// task (utility) and every (user task, injection task) pair (containment).

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Agent, AuthorityClient, kTrustDomain } from './lib/agent.mjs';
import { loadBinding, loadInputs } from './lib/binding.mjs';
import { startServer } from './lib/server.mjs';
import { loadTraces, planSuite } from './lib/traces.mjs';
import { pool, replayAttack, replayUserTask } from './lib/runner.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function usage(message) {
  if (message) console.error(`replay: ${message}`);
  console.error('usage: replay.mjs [--bin PATH] [--traces FILE] [--examples DIR] [--suite NAME]... [--out FILE] [--jobs N] [--keep]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    bin: process.env.MANDATE_BIN ?? join(repo, 'build', 'mandate'),
    // The shared workloads folder beside the checkout (CI and the README lay it out so).
    traces: join(process.env.MANDATE_SHARED ?? join(repo, '..', 'shared'), 'workloads', 'agentdojo', 'traces.json'),
    examples: join(repo, 'examples', 'agentdojo'),
    suites: [],
    out: null,
    jobs: 8, // the replay waits on round trips, not server CPU (perf: ~2 s CPU of a 45 s run): overlap tasks
    keep: false,
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--bin') opts.bin = resolve(value());
    else if (a === '--traces') opts.traces = resolve(value());
    else if (a === '--examples') opts.examples = resolve(value());
    else if (a === '--suite') opts.suites.push(value());
    else if (a === '--out') opts.out = resolve(value());
    else if (a === '--jobs') {
      opts.jobs = Number(value());
      if (!Number.isInteger(opts.jobs) || opts.jobs < 1 || opts.jobs > 64) usage('--jobs: 1..64');
    } else if (a === '--keep') opts.keep = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument \`${a}\``);
  }
  return opts;
}

async function replaySuite(client, suite, examples, jobs) {
  const binding = loadBinding(examples, suite.name);
  const inputs = loadInputs(examples, suite.name);
  const plans = planSuite(suite);
  const ctx = { client, binding, inputs, tools: suite.tools };
  const started = Date.now();
  const utility = await pool(plans.utility.map((p) => () => replayUserTask(ctx, p)), jobs);
  const attacks = await pool(plans.attacks.map((p) => () => replayAttack(ctx, p)), jobs);
  const elapsedMs = Date.now() - started;
  const decisions = [...utility, ...attacks].reduce((n, r) => n + r.decisions, 0);
  return {
    suite: suite.name,
    mandate: binding.mandate,
    system: binding.system,
    tools: [...suite.tools.values()],
    userTasksWithoutInputs: suite.userTasks.filter((t) => inputs.known && !inputs.known(t.id)).map((t) => t.id),
    utility: {
      tasks: utility.length,
      allowed: utility.filter((r) => r.allowed).length,
      results: utility,
    },
    containment: {
      injectionTasks: suite.injectionTasks.length,
      pairs: attacks.length,
      contained: attacks.filter((r) => r.outcome === 'contained').length,
      results: attacks,
      outOfScope: plans.outOfScope,
    },
    decisions,
    elapsedMs,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(opts.bin)) usage(`no mandate binary at ${opts.bin} (build it: cmake --build build --target mandate)`);
  const traces = loadTraces(opts.traces);
  const names = opts.suites.length ? opts.suites : [...traces.suites.keys()];
  for (const name of names) {
    if (!traces.suites.has(name)) usage(`suite \`${name}\` is not in ${opts.traces} (has: ${[...traces.suites.keys()].join(', ')})`);
    if (!existsSync(join(opts.examples, name, 'mandate.yaml'))) usage(`no mandate for suite \`${name}\`: write ${join(opts.examples, name, 'mandate.yaml')}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'agentdojo-'));
  const mandatesDir = join(work, 'mandates');
  mkdirSync(mandatesDir);
  for (const name of names) copyFileSync(join(opts.examples, name, 'mandate.yaml'), join(mandatesDir, `${name}.yaml`));
  const bundlePath = join(work, 'bundle.jwks');
  const logPath = join(work, 'serve.log');
  const agent = await Agent.create({ bundlePath });
  let server;
  const cleanup = async () => {
    if (server) await server.stop();
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
  process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));
  try {
    server = await startServer({ bin: opts.bin, mandatesDir, dataDir: work, bundlePath, trustDomain: kTrustDomain, logPath });
    const client = new AuthorityClient(server.baseUrl, agent);
    const suites = [];
    for (const name of names) {
      const r = await replaySuite(client, traces.suites.get(name), opts.examples, opts.jobs);
      suites.push(r);
      console.error(`replay: ${name}: utility ${r.utility.allowed}/${r.utility.tasks}, contained ${r.containment.contained}/${r.containment.pairs} pairs, ${r.decisions} decisions in ${r.elapsedMs} ms`);
    }
    const out = {
      generated: new Date().toISOString(),
      traces: { file: opts.traces, meta: traces.meta },
      server: { bin: opts.bin, args: server.args },
      agent: { spiffeId: agent.spiffeId, svidAlg: agent.svidAlg, dpopAlg: agent.dpopAlg },
      host: { cpus: cpus().length, loadavg: loadavg()[0], jobs: opts.jobs },
      suites,
    };
    const text = JSON.stringify(out, null, 1);
    if (opts.out) writeFileSync(opts.out, text);
    else process.stdout.write(text + '\n');
  } finally {
    if (opts.keep) console.error(`replay: kept ${work}`);
    await cleanup();
  }
}

main().catch((e) => {
  console.error(`replay: ${e.message}`);
  process.exit(1);
});
