#!/usr/bin/env node
// Reference side of bench/cedar: the same policies, entities and requests through
// @cedar-policy/cedar-wasm's fastest documented path: the policy set pre-parsed once
// (preparsePolicySet) and statefulIsAuthorized per request with the entities sliced to the
// request (principal, action, resource and their ancestors).
//   node wasm_bench.js DIR ITERATIONS   (DIR holds policies.cedar, entities.json, requests.json)
// Prints one JSON line: {"decisions_per_s", "median_us", "allow", "deny"}.
'use strict';
const fs = require('fs');
const path = require('path');
const cedar = require(path.join(__dirname, '../../tests/node/node_modules/@cedar-policy/cedar-wasm/nodejs'));

const dir = process.argv[2];
const iterations = Number(process.argv[3] || 20000);
const policies = fs.readFileSync(path.join(dir, 'policies.cedar'), 'utf8');
const entities = JSON.parse(fs.readFileSync(path.join(dir, 'entities.json'), 'utf8'));
const requests = JSON.parse(fs.readFileSync(path.join(dir, 'requests.json'), 'utf8'));

const parsed = cedar.preparsePolicySet('bench', { staticPolicies: policies });
if (parsed.type !== 'success') throw new Error(JSON.stringify(parsed.errors));

// Slice the entities to each request (done before timing, as a caller with its own store would).
const byKey = new Map(entities.map((e) => [e.uid.type + '::' + e.uid.id, e]));
function closure(uid, out) {
  const key = uid.type + '::' + uid.id;
  if (out.has(key)) return;
  const e = byKey.get(key);
  if (!e) return;
  out.set(key, e);
  for (const p of e.parents) closure(p, out);
}
const calls = requests.map((r) => {
  const slice = new Map();
  closure(r.principal, slice);
  closure(r.action, slice);
  closure(r.resource, slice);
  return {
    principal: r.principal, action: r.action, resource: r.resource, context: r.context,
    preparsedPolicySetId: 'bench', entities: [...slice.values()],
  };
});

let allow = 0, deny = 0;
const samples = new Float64Array(iterations);
for (let i = 0; i < Math.min(200, iterations); i++) cedar.statefulIsAuthorized(calls[i % calls.length]);
const start = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) {
  const t0 = process.hrtime.bigint();
  const r = cedar.statefulIsAuthorized(calls[i % calls.length]);
  samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  if (r.type !== 'success') throw new Error(JSON.stringify(r.errors));
  if (r.response.decision === 'allow') allow++; else deny++;
}
const total = Number(process.hrtime.bigint() - start) / 1e9;
samples.sort();
console.log(JSON.stringify({
  decisions_per_s: iterations / total,
  median_us: samples[Math.floor(iterations / 2)],
  allow, deny,
}));
