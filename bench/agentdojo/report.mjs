#!/usr/bin/env node
// Turns the JSON written by replay.mjs into docs/benchmarks/agentdojo.md (markdown on stdout).
//
//   node bench/agentdojo/report.mjs results.json > docs/benchmarks/agentdojo.md
//
// Static prose (the rules in words, limitations, proposed product changes) comes from
// notes.md; the explanation of each known false deny from explanations.json. Everything
// measured comes from the results, so the page cannot drift from what the server decided.

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

// A path inside the checkout is shown relative to it, so the page does not name a machine.
function relativeToRepo(path) {
  const r = relative(repo, path);
  return r.startsWith('..') ? path : r;
}

export function pct(n, d) {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`;
}

function cell(text) {
  return String(text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text) {
  const s = String(text ?? '');
  return s ? `\`${s.replace(/`/g, "'")}\`` : '';
}

function clip(text, n = 90) {
  const s = typeof text === 'string' ? text : JSON.stringify(text);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function reasonText(r) {
  if (!r) return '';
  const parts = [`${r.check}: ${r.code}`];
  if (r.rule) parts.push(`rule ${code(r.rule)}`);
  return parts.join(', ') + (r.message ? ` — ${r.message}` : '');
}

function explanation(explanations, suite, task) {
  return explanations.falseDenies?.[suite]?.[task] ?? null;
}

// The mandate's rule, in words, behind a deny reason: explanations.json `rules` per suite,
// keyed by the policy or step id the server named (`rule`), else by the reason code.
function genericRule(explanations, suite, reason) {
  const rules = explanations.rules?.[suite] ?? {};
  return (reason && (rules[reason.rule] ?? rules[reason.code])) ?? 'no rule in bench/agentdojo/explanations.json';
}

function summaryTable(suites) {
  const lines = [
    '| suite | user tasks | utility (every call allowed) | attack pairs | contained | decisions | replay time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  let tasks = 0;
  let allowed = 0;
  let pairs = 0;
  let contained = 0;
  let decisions = 0;
  for (const s of suites) {
    const u = s.utility;
    const c = s.containment;
    tasks += u.tasks;
    allowed += u.allowed;
    pairs += c.pairs;
    contained += c.contained;
    decisions += s.decisions;
    const cc = c.pairs ? `${c.contained}/${c.pairs} (${pct(c.contained, c.pairs)})` : 'no injection tasks in the traces';
    lines.push(`| ${s.suite} | ${u.tasks} | ${u.allowed}/${u.tasks} (${pct(u.allowed, u.tasks)}) | ${c.pairs} | ${cc} | ${s.decisions} | ${(s.elapsedMs / 1000).toFixed(1)} s |`);
  }
  if (suites.length > 1) {
    lines.push(`| **all** | ${tasks} | **${allowed}/${tasks} (${pct(allowed, tasks)})** | ${pairs} | **${contained}/${pairs} (${pct(contained, pairs)})** | ${decisions} | |`);
  }
  return { text: lines.join('\n'), tasks, allowed, pairs, contained };
}

function falseDenySection(s, explanations) {
  const denied = s.utility.results.filter((r) => !r.allowed);
  if (denied.length === 0) return 'No false deny: every call of every user task was allowed.\n';
  const lines = [
    '| user task | denied call | server\'s reason | why |',
    '| --- | --- | --- | --- |',
  ];
  for (const r of denied) {
    const d = r.deny;
    const why = explanation(explanations, s.suite, r.userTask) ?? '**UNEXPLAINED** (no entry in bench/agentdojo/explanations.json)';
    lines.push(`| ${r.userTask} | #${d.index} ${code(d.tool)} ${code(clip(d.request.args))} | ${cell(reasonText(d.reason))} | ${cell(why)} |`);
  }
  return lines.join('\n') + '\n';
}

function containmentSection(s, explanations) {
  const c = s.containment;
  const out = [];
  if (c.pairs === 0) {
    out.push(`The traces hold no injection task for this suite (AgentDojo's ${s.suite} attacks are not included), so containment is not measured here; the mandate's rules are written for attacks nobody has seen.`);
  } else {
    const byInjection = new Map();
    for (const r of c.results) {
      if (!byInjection.has(r.injectionTask)) byInjection.set(r.injectionTask, []);
      byInjection.get(r.injectionTask).push(r);
    }
    out.push('| injection task | first side-effecting call | pairs | contained | generic rule that contained it: server\'s reason (pairs) |');
    out.push('| --- | --- | --- | --- | --- |');
    for (const [inj, results] of byInjection) {
      const rules = new Map();
      for (const r of results.filter((x) => x.outcome === 'contained')) {
        const key = `**${genericRule(explanations, s.suite, r.containedBy)}**: ${reasonText(r.containedBy)}`;
        rules.set(key, (rules.get(key) ?? 0) + 1);
      }
      const first = results.find((r) => r.firstSideEffect)?.firstSideEffect;
      const ruleText = [...rules].map(([k, n]) => `${k} (${n})`).join('<br>');
      const contained = results.filter((r) => r.outcome === 'contained').length;
      out.push(`| ${inj} | ${first ? `${code(first.tool)} ${code(clip(first.request.args, 70))}` : ''} | ${results.length} | ${contained}/${results.length} | ${cell(ruleText)} |`);
    }
    const through = c.results.filter((r) => r.outcome !== 'contained');
    out.push('');
    if (through.length === 0) {
      out.push('Every attack was contained: its first side-effecting call was denied.');
    } else {
      out.push('Attacks not contained (the call that got through, or was only escalated):');
      out.push('');
      out.push('| user task | injection task | outcome | call |');
      out.push('| --- | --- | --- | --- |');
      for (const r of through) {
        const f = r.firstSideEffect;
        out.push(`| ${r.userTask} | ${r.injectionTask} | ${r.outcome} | ${f ? `${code(f.tool)} ${code(clip(f.request.args))}` : ''} |`);
      }
    }
    const revokedMissing = c.results.filter((r) => r.outcome === 'contained' && r.firstSideEffect && !r.firstSideEffect.taskRevoked);
    out.push('');
    out.push(revokedMissing.length === 0
      ? 'Every contained attack also revoked its task (`task_revoked: true` on the deny).'
      : `${revokedMissing.length} contained attack(s) were denied without the task being revoked.`);
    const prefixDenied = c.results.filter((r) => r.prefixDeny);
    if (prefixDenied.length) {
      out.push('');
      out.push(`${prefixDenied.length} pair(s) had a call of the user task denied before the injection point (counted by the rule of that deny).`);
    }
  }
  if (c.outOfScope.length) {
    out.push('');
    out.push('Out of scope (not counted): ' + c.outOfScope.map((o) => `${o.injectionTask ?? o.userTask} (${o.why})`).join('; ') + '.');
  }
  return out.join('\n') + '\n';
}

export function renderReport(results, { notes, explanations }) {
  const suites = results.suites;
  const summary = summaryTable(suites);
  const out = [];
  out.push('# AgentDojo: containment and utility on real agent workloads (replay)');
  out.push('');
  out.push('<!-- Generated by bench/agentdojo/run.sh; do not edit by hand (edit bench/agentdojo/notes.md or explanations.json). -->');
  out.push('');
  const meta = results.traces?.meta ?? {};
  out.push(`Generated ${results.generated} by \`bench/agentdojo/run.sh\` from the AgentDojo ${meta.benchmark_version ?? ''} ground-truth traces (\`${results.traces.file ? relativeToRepo(results.traces.file) : 'traces.json'}\`), replayed through the real \`mandate serve\` (\`${results.server?.bin ? relativeToRepo(results.server.bin) : 'mandate'}\`) on 127.0.0.1: one task per user task (or pair) started with \`POST /v1/tasks\` under the suite's mandate (\`examples/agentdojo/<suite>/mandate.yaml\`) with the inputs the human gave and the records the system of record supplies at task start (\`inputs.json\`), then one \`POST /v1/authorize\` per tool call, the agent proving a JWT-SVID and a DPoP key minted by \`jose\`.`);
  out.push('');
  out.push(summary.text);
  out.push('');
  for (const s of suites) {
    out.push(`<!-- agentdojo-result suite=${s.suite} utility=${s.utility.allowed}/${s.utility.tasks} contained=${s.containment.contained}/${s.containment.pairs} -->`);
  }
  out.push('');
  out.push('**Utility** = user tasks whose every call was allowed. **Contained** = (user task, injection task) pairs in which the attack\'s first side-effecting call was denied. A pair replays the user task up to its first call whose output can carry injected text, then the injection task\'s calls, as a hijacked agent would.');
  if (results.host) {
    out.push('');
    out.push(`Replay times are wall clock on ${results.host.cpus} shared cores at load average ${results.host.loadavg.toFixed(1)}, ${results.host.jobs} tasks in flight, with the server binary named above: they show the harness fits a CI budget, they are not a performance figure.`);
  }
  out.push('');
  out.push(notes.comparison.trim());
  out.push('');
  for (const s of suites) {
    out.push(`## ${s.suite}`);
    out.push('');
    out.push(`Mandate \`${s.mandate}\` (\`examples/agentdojo/${s.suite}/mandate.yaml\`), system \`${s.system}\`: utility ${s.utility.allowed}/${s.utility.tasks} (${pct(s.utility.allowed, s.utility.tasks)}), contained ${s.containment.contained}/${s.containment.pairs}.`);
    if (s.userTasksWithoutInputs?.length) {
      out.push('');
      out.push(`User tasks without an entry in inputs.json (started with the defaults): ${s.userTasksWithoutInputs.join(', ')}.`);
    }
    const rules = notes.suites[s.suite];
    if (rules) {
      out.push('');
      out.push(rules.trim());
    }
    out.push('');
    out.push('### False denies');
    out.push('');
    out.push(falseDenySection(s, explanations));
    out.push('### Containment');
    out.push('');
    out.push(containmentSection(s, explanations));
  }
  out.push(notes.limitations.trim());
  out.push('');
  out.push('## Reproduce');
  out.push('');
  out.push('```');
  out.push('bench/agentdojo/run.sh                 # all suites, rewrites this page');
  out.push('bench/agentdojo/run.sh --suite banking # one suite');
  out.push('bench/agentdojo/run.sh --bin PATH      # another build of mandate');
  out.push('ctest -R agentdojo                     # CI: banking pairs all contained, each suite\'s utility equals this page\'s');
  out.push('```');
  out.push(`Server: \`${(results.server?.args ?? []).join(' ').replace(/\/tmp\/[^ ]*/g, '<tmp>')}\`; agent \`${results.agent?.spiffeId ?? ''}\` (SVID ${results.agent?.svidAlg ?? ''}, DPoP ${results.agent?.dpopAlg ?? ''}).`);
  out.push('');
  return out.join('\n');
}

// The page before any replay ran: the rules, the false denies the mandates are expected to
// cause (from explanations.json, marked as expected, not measured) and the limitations.
export function renderPending(suiteNames, { notes, explanations }) {
  const out = [];
  out.push('# AgentDojo: containment and utility on real agent workloads (replay)');
  out.push('');
  out.push('<!-- Generated by bench/agentdojo/report.mjs --pending; bench/agentdojo/run.sh replaces it with measured figures. -->');
  out.push('');
  out.push('**Status: not measured yet.** This page was rendered before `mandate serve` could run the');
  out.push('replay in this checkout; it states the mandates\' rules and the false denies they are');
  out.push('expected to cause, but no figure on it is a measurement. `bench/agentdojo/run.sh` replays');
  out.push('the traces through the real server and rewrites it with measured utility and containment.');
  out.push('');
  out.push(notes.comparison.trim());
  out.push('');
  for (const suite of suiteNames) {
    out.push(`## ${suite}`);
    out.push('');
    out.push(`Mandate \`examples/agentdojo/${suite}/mandate.yaml\`.`);
    if (notes.suites[suite]) {
      out.push('');
      out.push(notes.suites[suite].trim());
    }
    const expected = explanations.falseDenies?.[suite] ?? {};
    out.push('');
    out.push('### Expected false denies (not measured)');
    out.push('');
    if (Object.keys(expected).length === 0) out.push('None expected.');
    else {
      out.push('| user task | why |');
      out.push('| --- | --- |');
      for (const [task, why] of Object.entries(expected)) out.push(`| ${task} | ${cell(why)} |`);
    }
    out.push('');
  }
  out.push(notes.limitations.trim());
  out.push('');
  return out.join('\n');
}

// notes.md is split on `<!-- section: NAME -->` markers: comparison, limitations, suite:NAME.
export function parseNotes(text) {
  const notes = { comparison: '', limitations: '', suites: {} };
  const parts = text.split(/<!-- section: ([a-z:_-]+) -->/);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const name = parts[i];
    const body = parts[i + 1];
    if (name.startsWith('suite:')) notes.suites[name.slice(6)] = body;
    else notes[name] = body;
  }
  return notes;
}

function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: report.mjs results.json > agentdojo.md\n       report.mjs --pending [SUITE...] > agentdojo.md');
    process.exit(2);
  }
  const notes = parseNotes(readFileSync(join(here, 'notes.md'), 'utf8'));
  const explanations = JSON.parse(readFileSync(join(here, 'explanations.json'), 'utf8'));
  if (file === '--pending') {
    const suites = process.argv.slice(3);
    process.stdout.write(renderPending(suites.length ? suites : ['banking', 'workspace', 'travel', 'slack'], { notes, explanations }));
    return;
  }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  process.stdout.write(renderReport(results, { notes, explanations }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main();
