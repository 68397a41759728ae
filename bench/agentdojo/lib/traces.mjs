// Reads AgentDojo-format traces (traces.json: {meta, suites: {NAME: {tools, injection_vectors,
// user_tasks, injection_tasks}}}) and turns them into replay plans. Untrusted input: every
// field the replay uses is checked, and a malformed file is rejected with the path of the
// offending field, never half-used. Nothing here knows a suite by name, so new suites and
// attacks in the same format replay without code changes.

import { readFileSync, statSync } from 'node:fs';

export const kMaxTraceBytes = 64 << 20;
const kMaxCallsPerTask = 1000;
const kMaxNameBytes = 256;

export class TraceError extends Error {}

function fail(where, message) {
  throw new TraceError(`${where}: ${message}`);
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkName(v, where) {
  if (typeof v !== 'string' || v.length === 0 || v.length > kMaxNameBytes) {
    fail(where, `expected a non-empty string of at most ${kMaxNameBytes} bytes`);
  }
  return v;
}

function checkStringList(v, where) {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(where, 'expected a list of strings');
  v.forEach((s, i) => checkName(s, `${where}[${i}]`));
  return v;
}

function checkCall(call, where, tools) {
  if (!isObject(call)) fail(where, 'expected an object');
  const tool = checkName(call.tool, `${where}.tool`);
  if (!tools.has(tool)) fail(`${where}.tool`, `unknown tool \`${tool}\``);
  if (!isObject(call.args)) fail(`${where}.args`, 'expected an object');
  return {
    tool,
    args: call.args,
    vectors: checkStringList(call.injection_vectors_in_output, `${where}.injection_vectors_in_output`),
  };
}

function checkCalls(calls, where, tools) {
  if (!Array.isArray(calls)) fail(where, 'expected a list of calls');
  if (calls.length > kMaxCallsPerTask) fail(where, `more than ${kMaxCallsPerTask} calls`);
  return calls.map((c, i) => checkCall(c, `${where}[${i}]`, tools));
}

function checkTasks(list, where, tools, textField) {
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(where, 'expected a list of tasks');
  const seen = new Set();
  return list.map((t, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(t)) fail(at, 'expected an object');
    const id = checkName(t.id, `${at}.id`);
    if (seen.has(id)) fail(`${at}.id`, `task \`${id}\` appears twice`);
    seen.add(id);
    const text = t[textField];
    if (text !== undefined && typeof text !== 'string') fail(`${at}.${textField}`, 'expected a string');
    return { id, text: text ?? '', calls: checkCalls(t.calls, `${at}.calls`, tools) };
  });
}

function checkSuite(name, suite) {
  const where = `suites.${name}`;
  if (!isObject(suite)) fail(where, 'expected an object');
  if (!Array.isArray(suite.tools) || suite.tools.length === 0) fail(`${where}.tools`, 'expected a non-empty list');
  const tools = new Map();
  suite.tools.forEach((t, i) => {
    const at = `${where}.tools[${i}]`;
    if (!isObject(t)) fail(at, 'expected an object');
    const toolName = checkName(t.name, `${at}.name`);
    if (tools.has(toolName)) fail(`${at}.name`, `tool \`${toolName}\` appears twice`);
    if (typeof t.side_effecting !== 'boolean') fail(`${at}.side_effecting`, 'expected true or false');
    tools.set(toolName, {
      name: toolName,
      effect: typeof t.effect === 'string' ? t.effect : '',
      sideEffecting: t.side_effecting,
      externalEgress: t.external_egress === true,
    });
  });
  return {
    name,
    tools,
    userTasks: checkTasks(suite.user_tasks, `${where}.user_tasks`, tools, 'prompt'),
    injectionTasks: checkTasks(suite.injection_tasks, `${where}.injection_tasks`, tools, 'goal'),
  };
}

// Parses and checks a traces document; returns {meta, suites: Map(name -> suite)}.
export function parseTraces(text, file = 'traces.json') {
  if (text.length > kMaxTraceBytes) throw new TraceError(`${file}: larger than ${kMaxTraceBytes} bytes`);
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TraceError(`${file}: not JSON: ${e.message}`);
  }
  if (!isObject(doc)) throw new TraceError(`${file}: expected an object`);
  if (!isObject(doc.suites)) throw new TraceError(`${file}: suites: expected an object`);
  const suites = new Map();
  for (const [name, suite] of Object.entries(doc.suites)) {
    if (!/^[a-z0-9_-]{1,64}$/.test(name)) throw new TraceError(`${file}: suites: bad suite name \`${name}\``);
    try {
      suites.set(name, checkSuite(name, suite));
    } catch (e) {
      if (e instanceof TraceError) throw new TraceError(`${file}: ${e.message}`);
      throw e;
    }
  }
  return { meta: doc.meta ?? {}, suites };
}

export function loadTraces(path) {
  if (statSync(path).size > kMaxTraceBytes) throw new TraceError(`${path}: larger than ${kMaxTraceBytes} bytes`);
  return parseTraces(readFileSync(path, 'utf8'), path);
}

// Index of the first call whose output can carry injected text, or -1 (the task cannot be
// hijacked through its own reads).
export function injectionPoint(userTask) {
  return userTask.calls.findIndex((c) => c.vectors.length > 0);
}

// The replay plans of one suite:
//  - utility: one per user task, all of its calls;
//  - attacks: one per (user task, injection task) pair whose user task reads injectable text
//    and whose injection task has a side-effecting call: the user task's calls up to and
//    including the first injectable read, then the injection task's calls;
//  - outOfScope: injection tasks without any side-effecting call (nothing to contain) and
//    user tasks that never read injectable text (no way in).
export function planSuite(suite) {
  const utility = suite.userTasks.map((t) => ({ kind: 'utility', userTask: t.id, calls: t.calls }));
  const attacks = [];
  const outOfScope = [];
  const attackable = suite.injectionTasks.filter((inj) => {
    if (inj.calls.some((c) => suite.tools.get(c.tool).sideEffecting)) return true;
    outOfScope.push({ injectionTask: inj.id, why: inj.calls.length === 0 ? 'no tool calls' : 'no side-effecting call' });
    return false;
  });
  for (const ut of suite.userTasks) {
    const point = injectionPoint(ut);
    if (point < 0) {
      if (attackable.length) outOfScope.push({ userTask: ut.id, why: 'reads no injectable text' });
      continue;
    }
    for (const inj of attackable) {
      attacks.push({
        kind: 'attack',
        userTask: ut.id,
        injectionTask: inj.id,
        prefix: ut.calls.slice(0, point + 1),
        vectors: ut.calls[point].vectors,
        attack: inj.calls,
      });
    }
  }
  return { utility, attacks, outOfScope };
}
