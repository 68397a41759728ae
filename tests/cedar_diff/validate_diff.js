#!/usr/bin/env node
// Differential validation test: random schemas (rendered in the Cedar schema syntax or the JSON
// schema syntax) and random policy sets over them, validated in strict mode by Mandate (the
// validate_driver binary) and by the reference @cedar-policy/cedar-wasm 4.10.0. Compared per
// case: whether the schema is accepted, and for every policy whether it validates and which
// error kinds it gets. Any difference fails the run.
//   node validate_diff.js --driver PATH [--seed N] [--cases N]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const cedar = require(path.join(__dirname, '../node/node_modules/@cedar-policy/cedar-wasm/nodejs'));

const args = process.argv.slice(2);
function arg(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}
const driver = arg('--driver');
const seed = Number(arg('--seed', '1'));
const totalCases = Number(arg('--cases', '500'));
if (!driver) {
  console.error('usage: node validate_diff.js --driver PATH [--seed N] [--cases N]');
  process.exit(2);
}

// ---- seeded PRNG (mulberry32) ----
let state = seed >>> 0;
function rnd() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rnd() < p;
const sample = (a, p) => a.filter(() => chance(p));

// ---- schema model ----
// Types: {k:'Long'|'String'|'Boolean'}, {k:'Set', el}, {k:'Entity', name}, {k:'Ext', name},
// {k:'Record', attrs:{name:{t, req}}}, {k:'Common', name} (a reference to a common type).
const EXTS = ['ipaddr', 'decimal', 'datetime', 'duration'];
const ATTR_NAMES = ['name', 'level', 'flag', 'labels', 'owner', 'info', 'addr', 'score', 'when', 'ttl'];

function randType(schema, depth) {
  switch (int(depth > 1 ? 6 : 9)) {
    case 0: return { k: 'Long' };
    case 1: return { k: 'String' };
    case 2: return { k: 'Boolean' };
    case 3: return { k: 'Entity', name: pick(schema.entityNames) };
    case 4: return { k: 'Ext', name: pick(EXTS) };
    case 5: return schema.common && chance(0.5) ? { k: 'Common', name: schema.common.name } : { k: 'Long' };
    case 6: return { k: 'Set', el: randType(schema, depth + 1) };
    default: return randRecord(schema, depth + 1, 3);
  }
}
function randRecord(schema, depth, max) {
  const attrs = {};
  for (const a of sample(ATTR_NAMES, max / ATTR_NAMES.length)) attrs[a] = { t: randType(schema, depth), req: chance(0.75) };
  return { k: 'Record', attrs };
}

function genSchema() {
  const ns = chance(0.3) ? 'NS' : '';
  const entityNames = ['User', 'Group', 'Doc', 'Folder'].filter((n, i) => i < 2 || chance(0.8));
  const schema = { ns, entityNames, entities: [], actions: [], common: null };
  if (chance(0.3)) schema.enumType = 'Color';
  if (chance(0.3)) {
    schema.common = { name: 'Info', t: null };
    schema.common.t = { k: 'Record', attrs: { a: { t: { k: 'Long' }, req: true }, b: { t: { k: 'String' }, req: chance(0.5) } } };
  }
  const rank = (n) => entityNames.indexOf(n);
  for (const name of entityNames) {
    const parents = entityNames.filter((p) => rank(p) > rank(name) && chance(0.4));
    const e = { name, parents, shape: randRecord(schema, 1, 5) };
    if (chance(0.3)) e.tags = randType(schema, 2);
    schema.entities.push(e);
  }
  if (schema.enumType) schema.entities.push({ name: 'Color', enumIds: ['red', 'green'], parents: [] });
  const names = ['read', 'write', 'call', 'admin'].filter((n, i) => i < 2 || chance(0.7));
  for (const name of names) {
    const a = { name, memberOf: name !== 'admin' && names.includes('admin') && chance(0.4) ? ['admin'] : [] };
    if (chance(0.92)) {
      a.principals = sample(entityNames, 0.5);
      if (!a.principals.length) a.principals = [pick(entityNames)];
      a.resources = sample(entityNames.concat(schema.enumType ? ['Color'] : []), 0.5);
      if (!a.resources.length) a.resources = [pick(entityNames)];
      a.context = chance(0.2) && schema.common ? { k: 'Common', name: 'Info' } : randRecord(schema, 1, 4);
    }
    schema.actions.push(a);
  }
  // Now and then something the schema parser must reject (both sides).
  if (chance(0.03)) schema.entities[0].shape.attrs.bad = { t: { k: 'Entity', name: 'Nope' }, req: true };
  return schema;
}

// Cedar schema syntax.
function cedarType(t) {
  switch (t.k) {
    case 'Long': case 'String': case 'Boolean': return t.k === 'Boolean' ? 'Bool' : t.k;
    case 'Set': return `Set<${cedarType(t.el)}>`;
    case 'Entity': return t.name;
    case 'Ext': return t.name;
    case 'Common': return t.name;
    default: return '{ ' + Object.entries(t.attrs).map(([n, a]) => `${n}${a.req ? '' : '?'}: ${cedarType(a.t)}`).join(', ') + ' }';
  }
}
function cedarSchema(s) {
  const lines = [];
  if (s.common) lines.push(`type ${s.common.name} = ${cedarType(s.common.t)};`);
  for (const e of s.entities) {
    if (e.enumIds) { lines.push(`entity ${e.name} enum [${e.enumIds.map((i) => `"${i}"`).join(', ')}];`); continue; }
    let l = `entity ${e.name}`;
    if (e.parents.length) l += ` in [${e.parents.join(', ')}]`;
    l += ` ${cedarType(e.shape)}`;
    if (e.tags) l += ` tags ${cedarType(e.tags)}`;
    lines.push(l + ';');
  }
  for (const a of s.actions) {
    let l = `action "${a.name}"`;
    if (a.memberOf.length) l += ` in [${a.memberOf.map((m) => `"${m}"`).join(', ')}]`;
    if (a.principals) {
      l += ` appliesTo { principal: [${a.principals.join(', ')}], resource: [${a.resources.join(', ')}], context: ${cedarType(a.context)} }`;
    }
    lines.push(l + ';');
  }
  const body = lines.join('\n');
  return s.ns ? `namespace ${s.ns} {\n${body}\n}\n` : body + '\n';
}
// JSON schema syntax.
function jsonType(t) {
  switch (t.k) {
    case 'Long': case 'String': case 'Boolean': return { type: t.k };
    case 'Set': return { type: 'Set', element: jsonType(t.el) };
    case 'Entity': return { type: 'Entity', name: t.name };
    case 'Ext': return { type: 'Extension', name: t.name };
    case 'Common': return { type: t.name };
    default: {
      const attributes = {};
      for (const [n, a] of Object.entries(t.attrs)) attributes[n] = { ...jsonType(a.t), required: a.req };
      return { type: 'Record', attributes };
    }
  }
}
function jsonSchema(s) {
  const entityTypes = {};
  for (const e of s.entities) {
    if (e.enumIds) { entityTypes[e.name] = { enum: e.enumIds }; continue; }
    entityTypes[e.name] = { memberOfTypes: e.parents, shape: jsonType(e.shape) };
    if (e.tags) entityTypes[e.name].tags = jsonType(e.tags);
  }
  const actions = {};
  for (const a of s.actions) {
    actions[a.name] = { memberOf: a.memberOf.map((id) => ({ id })) };
    if (a.principals) {
      actions[a.name].appliesTo = { principalTypes: a.principals, resourceTypes: a.resources, context: jsonType(a.context) };
    }
  }
  const body = { entityTypes, actions };
  if (s.common) body.commonTypes = { [s.common.name]: jsonType(s.common.t) };
  return { [s.ns]: body };
}

// ---- policies over the schema ----
function resolve(s, t) {
  return t && t.k === 'Common' ? s.common.t : t;
}
function entityDecl(s, name) {
  return s.entities.find((e) => e.name === name);
}
const q = (n, s) => (s.ns ? `${s.ns}::` : '') + n;
function literalOf(t, s) {
  t = resolve(s, t);
  switch (t.k) {
    case 'Long': return pick(['0', '1', '-7', '9223372036854775807']);
    case 'String': return pick(['""', '"a"', '"abc"']);
    case 'Boolean': return pick(['true', 'false']);
    case 'Entity': return `${q(t.name, s)}::"${t.name === 'Color' ? pick(['red', 'green', 'blue']) : pick(['a', 'b'])}"`;
    case 'Ext':
      return { ipaddr: 'ip("10.0.0.1")', decimal: 'decimal("1.5")', datetime: 'datetime("2024-01-01")', duration: 'duration("1h")' }[t.name];
    case 'Set': return chance(0.1) ? '[]' : `[${literalOf(t.el, s)}]`;
    default: return '{' + Object.entries(t.attrs).filter(([, a]) => a.req || chance(0.5)).map(([n, a]) => `${n}: ${literalOf(a.t, s)}`).join(', ') + '}';
  }
}

// Terms of the environment: attribute chains from principal, resource and context, with their
// types, and whether an optional attribute is on the way (then a `has` guard is needed).
function terms(s, env) {
  const out = [];
  const walk = (text, t, optional, depth) => {
    t = resolve(s, t);
    if (!t) return;
    out.push({ text, t, optional });
    if (depth >= 2) return;
    let attrs = null;
    if (t.k === 'Record') attrs = t.attrs;
    if (t.k === 'Entity') { const e = entityDecl(s, t.name); attrs = e && e.shape ? e.shape.attrs : null; }
    if (!attrs) return;
    for (const [n, a] of Object.entries(attrs)) walk(`${text}.${n}`, a.t, optional || !a.req, depth + 1);
  };
  walk('principal', { k: 'Entity', name: env.p }, false, 0);
  walk('resource', { k: 'Entity', name: env.r }, false, 0);
  if (env.ctx) walk('context', env.ctx, false, 1);
  return out;
}
function guard(term) {
  // `principal.info.level` optional somewhere: guard with the full `has` chain.
  const parts = term.text.split('.');
  return `${parts[0]} has ${parts.slice(1).join('.')}`;
}
function ofKind(ts, k, name) {
  return ts.filter((x) => x.t.k === k && (!name || x.t.name === name));
}

function boolExpr(s, env, ts, d) {
  const use = (list, f) => {
    if (!list.length) return pick(['true', 'false']);
    const term = pick(list);
    const body = f(term.text, term);
    return term.optional && chance(0.7) ? `(${guard(term)} && ${body})` : body;
  };
  if (d <= 0) return use(ofKind(ts, 'Boolean'), (x) => x);
  const sub = () => boolExpr(s, env, ts, d - 1);
  switch (int(25)) {
    case 20: {  // branches of different types need a least upper bound (strict mode)
      const a = pick(ts), b = pick(ts);
      return a && b ? `(if ${sub()} then ${a.text} else ${b.text}) == ${literalOf(a.t, s)}` : 'true';
    }
    case 21: {  // set literals mixing element types
      const a = pick(ts), b = pick(ts);
      return a && b ? `[${a.text}, ${b.text}].contains(${a.text})` : '[1, "a"].isEmpty()';
    }
    case 22: return use(ofKind(ts, 'Set'), (x) => `${x}.containsAll(${x})`);
    case 23: {  // a `has` guard only helps on the left of `&&`, not across `||`
      const opt = ts.filter((x) => x.optional && x.t.k === 'Long');
      if (!opt.length) return `principal == ${q(env.p, s)}::"a"`;
      const t = pick(opt);
      return pick([`(${guard(t)} || ${t.text} > 0)`, `(${t.text} > 0 && ${guard(t)})`, `(!(${guard(t)}) || ${t.text} > 0)`]);
    }
    case 24: return `${pick(['principal', 'resource'])} ${pick(['==', 'in'])} ${q(pick(s.entityNames), s)}::"a"`;
    case 0: return `(${sub()} && ${sub()})`;
    case 1: return `(${sub()} || ${sub()})`;
    case 2: return `!${sub()}`;
    case 3: return use(ofKind(ts, 'Long'), (x) => `${x} ${pick(['<', '<=', '>', '>='])} ${pick(['1', x])}`);
    case 4: return use(ofKind(ts, 'String'), (x) => `${x} ${pick(['==', '!=', 'like'])} ${pick(['"a*"', '"abc"'])}`.replace('== "a*"', '== "a"'));
    case 5: return use(ofKind(ts, 'Entity'), (x, t) => `${x} in ${pick([literalOf(t.t, s), 'resource', 'principal', `${q(pick(s.entityNames), s)}::"g"`])}`);
    case 6: return use(ofKind(ts, 'Set'), (x, t) => pick([`${x}.contains(${literalOf(t.t.el, s)})`, `${x}.isEmpty()`, `${x}.containsAny(${literalOf(t.t, s)})`]));
    case 7: return use(ofKind(ts, 'Ext', 'ipaddr'), (x) => pick([`${x}.isLoopback()`, `${x}.isInRange(ip("10.0.0.0/8"))`, `${x}.isIpv4()`]));
    case 8: return use(ofKind(ts, 'Ext', 'decimal'), (x) => `${x}.${pick(['lessThan', 'greaterThanOrEqual'])}(decimal("${pick(['1.0', '2.5', 'x'])}"))`);
    case 9: return use(ofKind(ts, 'Ext', 'datetime'), (x) => pick([`${x} < datetime("2025-01-01")`, `${x}.offset(duration("1d")) > ${x}`, `${x}.toTime() < duration("12h")`, `${x}.durationSince(datetime("2020-01-01")).toDays() > 5`]));
    case 10: return use(ofKind(ts, 'Ext', 'duration'), (x) => pick([`${x}.toHours() > 1`, `${x} <= duration("1d")`]));
    case 11: return `${pick(['principal', 'resource'])} ${chance(0.8) ? 'has' : 'is'} ${pick(ATTR_NAMES.concat(s.entityNames))}`.replace(/is (\w+)$/, (m, n) => `is ${s.entityNames.includes(n) ? q(n, s) : q('User', s)}`).replace(/has (User|Group|Doc|Folder)$/, 'has name');
    case 12: return `${pick(['principal', 'resource'])}.hasTag(${pick(['"k"', 'context.s'])})`;
    case 13: {
      const e = entityDecl(s, pick([env.p, env.r]));
      const v = pick(['principal', 'resource']);
      if (e && e.tags && chance(0.8)) return `(${v}.hasTag("k") && ${v}.getTag("k") == ${literalOf(e.tags, s)})`;
      return `${v}.getTag("k") == 1`;
    }
    case 14: return `(if ${sub()} then ${sub()} else ${sub()})`;
    case 15: return use(ts.filter((x) => x.t.k !== 'Record' && x.t.k !== 'Set'), (x, t) => `${x} == ${literalOf(chance(0.9) ? t.t : randType(s, 2), s)}`);
    case 16: {  // deliberate mistakes: unknown attribute, ill-typed operands, non-literal constructor
      return pick([`principal.nope == 1`, `context.${pick(ATTR_NAMES)} + 1 > 0`, `ip(${pick(['"1.2.3.4"', '"bad"', 'principal.name'])}).isIpv4()`,
        `${literalOf(randType(s, 2), s)} == ${literalOf(randType(s, 2), s)}`, `[1, "a"].contains(1)`, `[].isEmpty()`, `1 + true`, `"a" < "b"`, `decimal("1.0") < decimal("2.0")`]);
    }
    case 17: return `principal in ${pick(['resource', `${q(pick(s.entityNames), s)}::"g"`])}`;
    case 18: return `action in ${q('Action', s)}::"${pick(['admin', 'read'])}"`;
    default: return use(ofKind(ts, 'Record'), (x, t) => {
      const names = Object.keys(t.t.attrs);
      return names.length ? `${x} has ${pick(names)}` : `${x} == {}`;
    });
  }
}

function scope(s, v, env) {
  const types = v === 'principal' ? [env.p] : [env.r];
  switch (int(8)) {
    case 4: return `${v} is ${q(pick(chance(0.8) ? types : s.entityNames), s)}`;
    case 5: return `${v} == ${q(pick(types), s)}::"a"`;
    case 6: return `${v} in ${q(pick(s.entityNames), s)}::"g"`;
    case 7: return `${v} is ${q(pick(types), s)} in ${q(pick(s.entityNames), s)}::"g"`;
    default: return v;
  }
}

function genPolicies(s) {
  const out = [];
  const templates = {};
  for (let n = 1 + int(4), i = 0; i < n; i++) {
    const usable = s.actions.filter((a) => a.principals);
    const a = usable.length && chance(0.95) ? pick(usable) : pick(s.actions);
    const env = {
      p: a.principals ? pick(a.principals) : pick(s.entityNames),
      r: a.resources ? pick(a.resources) : pick(s.entityNames),
      ctx: a.context,
    };
    const act = pick([
      `action == ${q('Action', s)}::"${chance(0.95) ? a.name : 'nope'}"`,
      `action in [${q('Action', s)}::"${a.name}"]`,
      'action',
      `action in ${q('Action', s)}::"admin"`,
    ]);
    let text = `${chance(0.7) ? 'permit' : 'forbid'}(${scope(s, 'principal', env)}, ${act}, ${scope(s, 'resource', env)})`;
    const ts = terms(s, env);
    for (let k = int(3); k > 0; k--) text += ` ${chance(0.7) ? 'when' : 'unless'} { ${boolExpr(s, env, ts, 1 + int(2))} }`;
    if (i === 0 && chance(0.2) && /^(permit|forbid)\(principal,/.test(text)) {
      // A template: `?principal` takes every type the schema allows.
      text = text.replace(/^(permit|forbid)\(principal,/, `$1(principal ${pick(['==', 'in'])} ?principal,`);
      templates.t0 = text + ';';
      continue;
    }
    out.push(text + ';');
  }
  return { text: out.join('\n'), templates };
}

// Error kinds from the reference's messages, named as Cedar's ValidationError variants (the
// codes Mandate's validator reports).
const KINDS = [
  [/unrecognized entity type/, 'unrecognized_entity_type'],
  [/unrecognized action/, 'unrecognized_action_id'],
  [/invalid action application|unable to find an applicable action/, 'invalid_action_application'],
  [/unable to guarantee safety of access to optional attribute/, 'unsafe_optional_attribute_access'],
  [/unable to guarantee safety of access to tag/, 'unsafe_tag_access'],
  [/attribute .* not found/, 'unsafe_attribute_access'],
  [/does not have tags|no tags allowed|not allowed to have tags/, 'no_tags_allowed'],
  [/are not compatible|incompatible types/, 'incompatible_types'],
  [/unexpected type/, 'unexpected_type'],
  [/extension constructors may not be called with non-literal|non-literal/, 'non_lit_ext_constructor'],
  [/extension function argument validation/, 'function_argument_validation'],
  [/empty set literals are forbidden|empty set/, 'empty_set_forbidden'],
  [/invalid entity id|enumerated/, 'invalid_enum_entity'],
  [/wrong number of arguments/, 'wrong_number_args'],
];
function kindOf(message) {
  for (const [re, k] of KINDS) if (re.test(message)) return k;
  return 'other:' + message.replace(/`[^`]*`/g, '_').slice(0, 60);
}
function summarize(errors) {
  const byPolicy = {};
  for (const e of errors) (byPolicy[e.policy] ||= new Set()).add(e.kind);
  const out = {};
  for (const id of Object.keys(byPolicy).sort()) out[id] = [...byPolicy[id]].sort();
  return out;
}

// ---- run ----
const cases = [];
for (let i = 0; i < totalCases; i++) {
  const s = genSchema();
  const format = chance(0.5) ? 'cedar' : 'json';
  const { text, templates } = genPolicies(s);
  cases.push({ format, schema: format === 'cedar' ? cedarSchema(s) : JSON.stringify(jsonSchema(s)), policies: text, templates });
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cedar-vdiff-'));
const input = path.join(dir, 'cases.json');
fs.writeFileSync(input, JSON.stringify({ cases }));
if (process.env.VDIFF_DUMP) fs.writeFileSync(process.env.VDIFF_DUMP, JSON.stringify({ cases }));
const ours = JSON.parse(execFileSync(driver, [input], { maxBuffer: 1 << 30 }).toString());
fs.rmSync(dir, { recursive: true, force: true });

let warningDiff = 0, warnings = 0;
let policies = 0, passedPolicies = 0, schemaRejected = 0, verdictDiff = 0, kindDiff = 0, casesPassed = 0;
const byFormat = { cedar: 0, json: 0 };
const kindsSeen = {};
let shown = 0;
for (let i = 0; i < cases.length; i++) {
  const c = cases[i];
  byFormat[c.format]++;
  const schema = c.format === 'cedar' ? c.schema : JSON.parse(c.schema);
  const ref = cedar.validate({ validationSettings: { mode: 'strict' }, schema, policies: { staticPolicies: c.policies, templates: c.templates } });
  const mine = ours.cases[i];
  let expected;
  if (ref.type !== 'success') {
    expected = { rejected: true };
    schemaRejected++;
  } else {
    expected = summarize(ref.validationErrors.map((e) => ({ policy: e.policyId, kind: kindOf(e.error.message) })));
  }
  const got = mine.rejected ? { rejected: true } : summarize(mine.errors);
  // Warnings (`impossible_policy`: false for every valid request): which policies get one.
  if (ref.type === 'success' && !mine.rejected) {
    const refWarn = [...new Set(ref.validationWarnings.filter((w) => /policy is impossible/.test(w.error.message)).map((w) => w.policyId))].sort();
    const myWarn = [...new Set(mine.warnings.filter((w) => w.kind === 'impossible_policy').map((w) => w.policy))].sort();
    warnings += refWarn.length;
    if (refWarn.join() !== myWarn.join()) {
      warningDiff++;
      if (shown++ < 5) console.log(`WARNING DISAGREEMENT case ${i}`, JSON.stringify({ refWarn, myWarn }), '\n' + c.schema + '\n' + c.policies + '\n' + JSON.stringify(c.templates));
    }
  }
  const n = (c.policies.match(/;\n|;$/g) || []).length + Object.keys(c.templates).length;
  if (!expected.rejected) {
    policies += n;
    passedPolicies += n - Object.keys(expected).length;
    if (!Object.keys(expected).length) casesPassed++;
    for (const ks of Object.values(expected)) for (const k of ks) kindsSeen[k] = (kindsSeen[k] || 0) + 1;
  }
  const verdict = (x) => (x.rejected ? 'rejected' : Object.keys(x).join(','));
  const sameVerdict = verdict(expected) === verdict(got);
  const sameKinds = JSON.stringify(expected) === JSON.stringify(got);
  if (!sameVerdict) verdictDiff++;
  else if (!sameKinds) kindDiff++;
  if ((!sameVerdict || !sameKinds) && shown++ < 5) {
    console.log(`DISAGREEMENT (${sameVerdict ? 'error kinds' : 'verdict'}) case ${i}`, JSON.stringify({ expected, got }));
    console.log('  reference:', ref.type === 'success' ? JSON.stringify(ref.validationErrors.map((e) => [e.policyId, e.error.message])) : JSON.stringify(ref.errors.map((e) => e.message)));
    console.log('  mandate:', JSON.stringify(mine));
    console.log('  schema (' + c.format + '):\n' + c.schema);
    console.log('  policies:\n' + c.policies);
  }
}
console.log(`cedar validate diff: seed ${seed}: ${cases.length} cases (${byFormat.cedar} Cedar-syntax schemas, ` +
  `${byFormat.json} JSON schemas, ${schemaRejected} rejected as input), ${policies} policies ` +
  `(${passedPolicies} valid, ${policies - passedPolicies} invalid; ${casesPassed} cases fully valid); ` +
  `${verdictDiff} verdict disagreements, ${kindDiff} error-kind disagreements; ` +
  `${warnings} impossible-policy warnings, ${warningDiff} warning disagreements`);
console.log('  error kinds seen (reference): ' + JSON.stringify(kindsSeen));
process.exit(verdictDiff === 0 && kindDiff === 0 && warningDiff === 0 ? 0 : 1);
