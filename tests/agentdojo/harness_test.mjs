// Tests of the AgentDojo replay harness that need no server: trace reading (hostile input
// rejected with the path of the bad field), replay plans, call binding, task inputs, the
// report, and that no mandate file names a value an attack uses.
//
//   node --test tests/agentdojo/harness_test.mjs

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { parseTraces, loadTraces, planSuite, injectionPoint, TraceError } from '../../bench/agentdojo/lib/traces.mjs';
import { authorizeRequest, loadBinding, loadInputs, BindingError } from '../../bench/agentdojo/lib/binding.mjs';
import { renderReport, parseNotes } from '../../bench/agentdojo/report.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env.MANDATE_SHARED ?? join(repo, '..', 'shared');
const tracesPath = join(shared, 'workloads', 'agentdojo', 'traces.json');
const examples = join(repo, 'examples', 'agentdojo');

function minimal(overrides = {}) {
  return {
    suites: {
      demo: {
        tools: [
          { name: 'read', side_effecting: false },
          { name: 'pay', side_effecting: true },
        ],
        user_tasks: [
          { id: 'u0', prompt: 'p', calls: [{ tool: 'read', args: {}, injection_vectors_in_output: ['v'] }, { tool: 'pay', args: { to: 'x' } }] },
          { id: 'u1', prompt: 'q', calls: [{ tool: 'read', args: {} }] },
        ],
        injection_tasks: [
          { id: 'i0', goal: 'g', calls: [{ tool: 'read', args: {} }, { tool: 'pay', args: { to: 'evil' } }] },
          { id: 'i1', goal: 'h', calls: [] },
        ],
        ...overrides,
      },
    },
  };
}

function rejects(doc, pattern) {
  assert.throws(() => parseTraces(typeof doc === 'string' ? doc : JSON.stringify(doc), 't.json'), (e) => {
    assert.ok(e instanceof TraceError, `not a TraceError: ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('malformed traces are rejected with the path of the bad field', () => {
  rejects('{"suites": ', /^t\.json: not JSON/);
  rejects('[]', /t\.json: expected an object/);
  rejects({}, /t\.json: suites: expected an object/);
  rejects({ suites: { 'Bad Name': {} } }, /bad suite name/);
  rejects(minimal({ tools: [] }), /suites\.demo\.tools: expected a non-empty list/);
  rejects(minimal({ tools: [{ name: 'read' }] }), /tools\[0\]\.side_effecting: expected true or false/);
  rejects(minimal({ tools: [{ name: 'a', side_effecting: true }, { name: 'a', side_effecting: false }] }), /tool `a` appears twice/);
  const unknownTool = minimal();
  unknownTool.suites.demo.user_tasks[0].calls[1].tool = 'wire';
  rejects(unknownTool, /user_tasks\[0\]\.calls\[1\]\.tool: unknown tool `wire`/);
  const badArgs = minimal();
  badArgs.suites.demo.injection_tasks[0].calls[0].args = 'x';
  rejects(badArgs, /injection_tasks\[0\]\.calls\[0\]\.args: expected an object/);
  const dup = minimal();
  dup.suites.demo.user_tasks[1].id = 'u0';
  rejects(dup, /user_tasks\[1\]\.id: task `u0` appears twice/);
  const many = minimal();
  many.suites.demo.user_tasks[1].calls = Array.from({ length: 1001 }, () => ({ tool: 'read', args: {} }));
  rejects(many, /more than 1000 calls/);
  const vectors = minimal();
  vectors.suites.demo.user_tasks[0].calls[0].injection_vectors_in_output = 'v';
  rejects(vectors, /injection_vectors_in_output: expected a list of strings/);
});

test('plans stop the user task at its first injectable read and skip attacks without side effects', () => {
  const { suites } = parseTraces(JSON.stringify(minimal()));
  const plan = planSuite(suites.get('demo'));
  assert.equal(plan.utility.length, 2);
  assert.equal(plan.attacks.length, 1);
  assert.deepEqual(plan.attacks[0].prefix.map((c) => c.tool), ['read']);
  assert.equal(plan.attacks[0].injectionTask, 'i0');
  assert.deepEqual(plan.outOfScope, [
    { injectionTask: 'i1', why: 'no tool calls' },
    { userTask: 'u1', why: 'reads no injectable text' },
  ]);
});

test('the shipped traces load and give 97 user tasks and 144 banking pairs', () => {
  const { suites } = loadTraces(tracesPath);
  const counts = Object.fromEntries([...suites].map(([n, s]) => [n, s.userTasks.length]));
  assert.deepEqual(counts, { workspace: 40, travel: 20, banking: 16, slack: 21 });
  const banking = planSuite(suites.get('banking'));
  assert.equal(banking.attacks.length, 16 * 9);
  const ut15 = suites.get('banking').userTasks.find((t) => t.id === 'user_task_15');
  assert.equal(injectionPoint(ut15), 3);
  for (const a of banking.attacks) assert.ok(a.prefix.at(-1).vectors.length > 0);
});

test('the traces are read from the shared workloads folder, never copied into the repo', () => {
  assert.ok(existsSync(tracesPath), `${tracesPath} is missing: run with ../shared beside the checkout or set MANDATE_SHARED`);
  assert.ok(!existsSync(join(repo, 'bench', 'agentdojo', 'data')), 'bench/agentdojo/data must not hold a copy of the shared workload');
});

test('records come from the system of record: same for every task, no task may override them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentdojo-records-'));
  mkdirSync(join(dir, 's'));
  const write = (doc) => writeFileSync(join(dir, 's', 'inputs.json'), JSON.stringify(doc));
  write({ records: { source: 'ledger', inputs: { known: ['a'] } }, defaults: { payees: [] }, tasks: { t: { inputs: { payees: ['b'] } } } });
  const inputs = loadInputs(dir, 's');
  assert.deepEqual(inputs.forTask('t'), { payees: ['b'], known: ['a'] });
  assert.deepEqual(inputs.forTask('other'), { payees: [], known: ['a'] });
  write({ records: { source: 'ledger', inputs: { known: ['a'] } }, defaults: { known: [] }, tasks: {} });
  assert.throws(() => loadInputs(dir, 's'), /records: input `known` is also a default/);
  write({ records: { source: 'ledger', inputs: { known: ['a'] } }, defaults: {}, tasks: { t: { inputs: { known: ['evil'] } } } });
  assert.throws(() => loadInputs(dir, 's'), /tasks: t: input `known` comes from the records, not from the task/);
  write({ records: ['a'], defaults: {}, tasks: {} });
  assert.throws(() => loadInputs(dir, 's'), /records: expected \{source, inputs/);
  write({ defaults: {}, tasks: {}, task: {} });
  assert.throws(() => loadInputs(dir, 's'), /unknown key `task`/);
});

test('every record value is in the environment the traces ran on', () => {
  const outputsPath = join(shared, 'workloads', 'agentdojo', 'tool_outputs.json');
  assert.ok(existsSync(outputsPath), `${outputsPath} is missing`);
  const outputs = JSON.parse(readFileSync(outputsPath, 'utf8')).suites;
  for (const dir of readdirSync(examples)) {
    const records = loadInputs(examples, dir).records ?? {};
    const seen = JSON.stringify(outputs[dir] ?? {});
    for (const [name, values] of Object.entries(records)) {
      for (const v of values) assert.ok(seen.includes(v), `${dir}: record ${name} value \`${v}\` appears in no tool output`);
    }
  }
});

test('calls map to authorize requests as the bindings say', () => {
  const banking = loadBinding(examples, 'banking');
  const pay = authorizeRequest(banking, { tool: 'send_money', args: { recipient: 'GB29', amount: 98.7, subject: 's', date: 'd' } });
  assert.deepEqual(pay, { system: 'banking', action: 'send_money', resource: 'payees/GB29', args: { recipient: 'GB29', amount: 9870, subject: 's', date: 'd' } });
  const amend = authorizeRequest(banking, { tool: 'update_scheduled_transaction', args: { id: 7, amount: 1200, recipient: null } });
  assert.deepEqual(amend.args, { id: 7, amount: 120000 });
  assert.equal(amend.resource, 'scheduled/7');
  const plain = { mandate: 'm', system: 's', resources: {}, args: {} };
  const mail = authorizeRequest(plain, { tool: 'send_email', args: { recipients: ['a'], attachments: [{ type: 'file', file_id: '19' }], cc: null, x: 1.5 } });
  assert.deepEqual(mail, { system: 's', action: 'send_email', resource: '*', args: { recipients: ['a'], attachments: ['{"file_id":"19","type":"file"}'], x: '1.5' } });
});

test('bindings and inputs reject what they do not understand', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentdojo-binding-'));
  mkdirSync(join(dir, 's'));
  writeFileSync(join(dir, 's', 'binding.json'), JSON.stringify({ sytem: 'x' }));
  assert.throws(() => loadBinding(dir, 's'), (e) => e instanceof BindingError && /unknown key `sytem`/.test(e.message));
  writeFileSync(join(dir, 's', 'binding.json'), JSON.stringify({ args: { amount: 'euros' } }));
  assert.throws(() => loadBinding(dir, 's'), /unknown conversion `euros`/);
  writeFileSync(join(dir, 's', 'inputs.json'), JSON.stringify({ defaults: { a: [] }, tasks: { t: { inputs: { b: 1 } } } }));
  assert.throws(() => loadInputs(dir, 's'), /input `b` has no default/);
  assert.equal(loadBinding(dir, 'none').system, 'none');
});

test('every user task has inputs, and every input is declared by its mandate', () => {
  const { suites } = loadTraces(tracesPath);
  for (const [name, suite] of suites) {
    const inputs = loadInputs(examples, name);
    for (const t of suite.userTasks) assert.ok(inputs.known(t.id), `${name}: ${t.id} has no inputs`);
    const mandate = readFileSync(join(examples, name, 'mandate.yaml'), 'utf8');
    const declared = mandate.split('\ninputs:\n')[1].split('\nsteps:')[0];
    for (const key of Object.keys(inputs.forTask(suite.userTasks[0].id))) {
      assert.match(declared, new RegExp(`^  ${key}: `, 'm'), `${name}: input ${key} not declared`);
    }
  }
});

test('no mandate, binding or inputs file names a value an attack uses', () => {
  const { suites } = loadTraces(tracesPath);
  const attackValues = new Set();
  const collect = (v) => {
    if (typeof v === 'string' && v.length >= 6) attackValues.add(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  for (const suite of suites.values()) for (const inj of suite.injectionTasks) for (const c of inj.calls) collect(c.args);
  assert.ok(attackValues.size > 0);
  for (const dir of readdirSync(examples)) {
    for (const file of ['mandate.yaml', 'inputs.json', 'binding.json']) {
      let text;
      try {
        text = readFileSync(join(examples, dir, file), 'utf8');
      } catch {
        continue;
      }
      for (const v of attackValues) assert.ok(!text.includes(v), `${dir}/${file} names the attack value \`${v}\``);
    }
  }
});

test('the report lists false denies with their explanation and flags unexplained ones', () => {
  const deny = (task) => ({
    userTask: task,
    allowed: false,
    deny: { index: 1, tool: 'pay', request: { args: { to: 'x' } }, reason: { check: 'guard', code: 'guard.false', rule: 'pay', message: 'no' } },
  });
  const results = {
    generated: 'now',
    traces: { meta: { benchmark_version: 'v' } },
    server: { args: ['serve'] },
    agent: {},
    suites: [{
      suite: 'demo', mandate: 'm', system: 's', decisions: 3, elapsedMs: 10,
      utility: { tasks: 3, allowed: 1, results: [{ userTask: 'u0', allowed: true }, deny('u1'), deny('u2')] },
      containment: {
        pairs: 1, contained: 1, outOfScope: [],
        results: [{ userTask: 'u0', injectionTask: 'i0', outcome: 'contained', containedBy: { check: 'chain', code: 'chain.no_step', message: 'm' }, firstSideEffect: { tool: 'pay', request: { args: {} }, taskRevoked: true } }],
      },
    }],
  };
  const page = renderReport(results, {
    notes: parseNotes('<!-- section: comparison -->\nC\n<!-- section: limitations -->\nL\n'),
    explanations: { falseDenies: { demo: { u1: 'because' } }, rules: { demo: { 'chain.no_step': 'pay only named payees' } } },
  });
  assert.match(page, /<!-- agentdojo-result suite=demo utility=1\/3 contained=1\/1 -->/);
  assert.match(page, /\| u1 \| #1 `pay`.*\| because \|/);
  assert.match(page, /\| u2 \|.*\*\*UNEXPLAINED\*\*/);
  assert.match(page, /\*\*pay only named payees\*\*: chain: chain\.no_step — m \(1\)/);
  assert.match(page, /Every contained attack also revoked its task/);
  const unnamed = renderReport(results, {
    notes: parseNotes('<!-- section: comparison -->\nC\n<!-- section: limitations -->\nL\n'),
    explanations: { falseDenies: {} },
  });
  assert.match(unnamed, /\*\*no rule in bench\/agentdojo\/explanations\.json\*\*: chain: chain\.no_step/);
});
