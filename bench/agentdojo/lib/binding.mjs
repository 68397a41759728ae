// How a suite's tool calls become `POST /v1/authorize` requests, and which task inputs each
// user task starts with. Both come from data files beside the suite's mandate
// (examples/agentdojo/<suite>/binding.json and inputs.json); a suite without them still replays
// with the defaults: system = suite name, action = tool name, resource = `*`, args = the call's
// arguments normalised for Cedar, mandate = `agentdojo-<suite>`, no inputs.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const kMaxConfigBytes = 1 << 20;

export class BindingError extends Error {}

function readJson(path) {
  const text = readFileSync(path, 'utf8');
  if (text.length > kMaxConfigBytes) throw new BindingError(`${path}: larger than ${kMaxConfigBytes} bytes`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BindingError(`${path}: not JSON: ${e.message}`);
  }
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const kConversions = new Set(['cents', 'string', 'json', 'drop']);

// binding.json: {mandate?, system?, resources?: {tool: "template with {arg}"}, args?: {arg: conversion}}
export function loadBinding(examplesDir, suiteName) {
  const path = join(examplesDir, suiteName, 'binding.json');
  const binding = { mandate: `agentdojo-${suiteName}`, system: suiteName, resources: {}, args: {}, path: null };
  if (!existsSync(path)) return binding;
  const doc = readJson(path);
  if (!isObject(doc)) throw new BindingError(`${path}: expected an object`);
  for (const key of Object.keys(doc)) {
    if (!['about', 'mandate', 'system', 'resources', 'args'].includes(key)) {
      throw new BindingError(`${path}: unknown key \`${key}\``);
    }
  }
  for (const key of ['mandate', 'system']) {
    if (doc[key] !== undefined) {
      if (typeof doc[key] !== 'string' || !doc[key]) throw new BindingError(`${path}: ${key}: expected a string`);
      binding[key] = doc[key];
    }
  }
  if (doc.resources !== undefined) {
    if (!isObject(doc.resources)) throw new BindingError(`${path}: resources: expected an object`);
    for (const [tool, template] of Object.entries(doc.resources)) {
      if (typeof template !== 'string') throw new BindingError(`${path}: resources: ${tool}: expected a string`);
    }
    binding.resources = doc.resources;
  }
  if (doc.args !== undefined) {
    if (!isObject(doc.args)) throw new BindingError(`${path}: args: expected an object`);
    for (const [arg, conversion] of Object.entries(doc.args)) {
      if (!kConversions.has(conversion)) {
        throw new BindingError(`${path}: args: ${arg}: unknown conversion \`${conversion}\` (one of ${[...kConversions].join(', ')})`);
      }
    }
    binding.args = doc.args;
  }
  binding.path = path;
  return binding;
}

// inputs.json: {records?: {source, inputs: {...}}, defaults: {...}, tasks: {user_task_N: {said, inputs: {...}}}}
// `records` are inputs the system of record supplies at task start (a bank's ledger, a
// mailbox's sent folder): the same for every task, and no task's words may override them.
export function loadInputs(examplesDir, suiteName) {
  const path = join(examplesDir, suiteName, 'inputs.json');
  if (!existsSync(path)) return { path: null, forTask: () => ({}) };
  const doc = readJson(path);
  if (!isObject(doc) || !isObject(doc.tasks ?? {}) || !isObject(doc.defaults ?? {})) {
    throw new BindingError(`${path}: expected {defaults: {...}, tasks: {...}}`);
  }
  for (const key of Object.keys(doc)) {
    if (!['about', 'records', 'defaults', 'tasks'].includes(key)) throw new BindingError(`${path}: unknown key \`${key}\``);
  }
  const records = doc.records ?? { inputs: {} };
  if (!isObject(records) || !isObject(records.inputs) || typeof (records.source ?? '') !== 'string') {
    throw new BindingError(`${path}: records: expected {source, inputs: {...}}`);
  }
  const defaults = doc.defaults ?? {};
  const tasks = doc.tasks ?? {};
  for (const key of Object.keys(records.inputs)) {
    if (key in defaults) throw new BindingError(`${path}: records: input \`${key}\` is also a default`);
  }
  for (const [id, entry] of Object.entries(tasks)) {
    if (!isObject(entry) || !isObject(entry.inputs ?? {})) {
      throw new BindingError(`${path}: tasks: ${id}: expected {said, inputs: {...}}`);
    }
    for (const key of Object.keys(entry.inputs ?? {})) {
      if (key in records.inputs) throw new BindingError(`${path}: tasks: ${id}: input \`${key}\` comes from the records, not from the task`);
      if (!(key in defaults)) throw new BindingError(`${path}: tasks: ${id}: input \`${key}\` has no default`);
    }
  }
  return {
    path,
    records: records.inputs,
    forTask: (id) => ({ ...defaults, ...(tasks[id]?.inputs ?? {}), ...records.inputs }),
    known: (id) => id in tasks,
  };
}

// JSON value -> something the authority can type as a Cedar value: null is dropped, a
// non-integer number becomes its decimal text, an object becomes canonical JSON text; lists
// keep their strings and integers (a list of objects becomes a list of JSON texts).
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function normalise(value) {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isInteger(value) ? value : String(value);
  if (Array.isArray(value)) {
    return value.filter((v) => v !== null).map((v) => (isObject(v) || Array.isArray(v) ? canonical(v) : normalise(v)));
  }
  if (isObject(value)) return canonical(value);
  return value;
}

function convert(value, conversion, where) {
  switch (conversion) {
    case 'drop':
      return undefined;
    case 'string':
      return value === null ? undefined : typeof value === 'string' ? value : canonical(value);
    case 'json':
      return value === null ? undefined : canonical(value);
    case 'cents': {
      if (value === null) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new BindingError(`${where}: not a number`);
      return Math.round(value * 100);
    }
    default:
      throw new BindingError(`${where}: unknown conversion`);
  }
}

function resourceFor(template, args) {
  if (template === undefined) return '*';
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => {
    const v = args[name];
    if (v === undefined || v === null) return '';
    return typeof v === 'string' ? v : canonical(v);
  });
}

// One tool call -> the body of POST /v1/authorize.
export function authorizeRequest(binding, call) {
  const args = {};
  for (const [name, value] of Object.entries(call.args)) {
    const conversion = binding.args[name];
    const out = conversion ? convert(value, conversion, `${call.tool}.${name}`) : normalise(value);
    if (out !== undefined) args[name] = out;
  }
  return {
    system: binding.system,
    action: call.tool,
    resource: resourceFor(binding.resources[call.tool], call.args),
    args,
  };
}
