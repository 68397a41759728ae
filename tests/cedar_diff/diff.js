#!/usr/bin/env node
// Differential test: random Cedar policy sets, entities and requests, decided by Mandate's
// engine (the diff_driver binary) and by the reference @cedar-policy/cedar-wasm; any
// disagreement in decision, reasons or errors fails the run.
//   node diff.js --driver PATH [--seed N] [--requests N] [--per-set N] [--stateless]
// 64-bit integers stay exact: they travel as marker strings that a patched JSON.stringify
// turns back into bare numbers (cedar-wasm stringifies its arguments).
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
const totalRequests = Number(arg('--requests', '3000'));
const perSet = Number(arg('--per-set', '10'));
const stateless = args.includes('--stateless');
if (!driver) {
  console.error('usage: node diff.js --driver PATH [--seed N] [--requests N]');
  process.exit(2);
}

// ---- exact i64 through JSON ----
const I64 = (digits) => `@@i64:${digits}@@`;
const origStringify = JSON.stringify;
JSON.stringify = function (v, r, s) {
  const out = origStringify.call(JSON, v, r, s);
  return typeof out === 'string' ? out.replace(/"@@i64:(-?\d+)@@"/g, '$1') : out;
};

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

// ---- the universe ----
const TYPES = ['User', 'Group', 'Doc', 'Folder', 'NS::Tool'];
const IDS = ['a', 'b', 'c', 'd', 'x y', 'é', ''];
const ACTIONS = ['read', 'write', 'call', 'admin'];
const ATTRS = ['name', 'level', 'flag', 'labels', 'owner', 'info', 'addr', 'score', 'when', 'ttl', 'big'];
const STRINGS = ['', 'a', 'abc', 'a*c', 'x y', 'tool:read', 'é', 'A', 'a\\b', 'x\ty', '"q'];
const LONGS = ['0', '1', '-1', '7', '100', '9223372036854775807', '-9223372036854775808', '4611686018427387904'];
const IPS = ['10.0.0.1', '10.0.0.0/8', '127.0.0.1', '::1', '224.0.0.1', 'ff02::1', '192.168.1.0/24', '1.2.3.4/32', 'bad'];
const DECIMALS = ['1.0', '-1.5', '0.0001', '922337203685477.5807', '2.25', '1.23456'];
const DATETIMES = ['2024-01-01', '2024-01-01T12:00:00Z', '1969-12-31T23:59:59.999Z', '2024-02-29T00:00:00+0130', '2024-13-01'];
const DURATIONS = ['1d', '-2h30m', '1ms', '1d2h3m4s5ms', '0ms', '9223372036854775807ms', '1x'];

function uid(type, id) {
  return { type, id };
}
function randUid(types = TYPES) {
  return uid(pick(types), pick(IDS));
}
function cedarUid(u) {
  return `${u.type}::${cedarString(u.id)}`;
}
function cedarString(s) {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

// JSON value for attributes/context (entity JSON format).
function jsonValue(depth = 0) {
  switch (int(depth > 1 ? 7 : 9)) {
    case 0: return chance(0.5);
    case 1: return I64(pick(LONGS));
    case 2: return pick(STRINGS);
    case 3: return { __entity: randUid() };
    case 4: return { __extn: { fn: 'ip', arg: pick(IPS.slice(0, -1)) } };
    case 5: return { __extn: { fn: 'decimal', arg: pick(DECIMALS.slice(0, 4)) } };
    case 6: return chance(0.15) ? extnCall() : { __extn: { fn: pick(['datetime', 'duration']), arg: null } };
    case 7: return Array.from({ length: int(4) }, () => jsonValue(depth + 1));
    default: {
      const o = {};
      for (const k of ['a', 'b', 'name']) if (chance(0.6)) o[k] = jsonValue(depth + 1);
      return o;
    }
  }
}
// `__extn` escapes whose value is the result of a call: `args` lists, nested escapes as
// arguments, methods (`offset`, `toDate`, `isInRange`, ...), and malformed escapes that Cedar
// reads as plain records. Some calls fail (overflow, bad types, unknown functions): both sides
// must then reject the entities or the context.
function extnCall() {
  const dt = () => ({ __extn: { fn: 'datetime', arg: pick(DATETIMES.slice(0, 4)) } });
  const du = () => ({ __extn: { fn: 'duration', arg: pick(DURATIONS.slice(0, 6)) } });
  const ip = () => ({ __extn: { fn: 'ip', arg: pick(IPS.slice(0, -1)) } });
  const dec = () => ({ __extn: { fn: 'decimal', arg: pick(DECIMALS.slice(0, 4)) } });
  switch (int(14)) {
    case 0: return { __extn: { fn: 'offset', args: [dt(), du()] } };
    case 1: return { __extn: { fn: 'durationSince', args: [dt(), dt()] } };
    case 2: return { __extn: { fn: pick(['toDate', 'toTime']), arg: dt() } };
    case 3: return { __extn: { fn: pick(['toDays', 'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds']), args: [du()] } };
    case 4: return { __extn: { fn: 'isInRange', args: [ip(), ip()] } };
    case 5: return { __extn: { fn: pick(['isIpv4', 'isLoopback', 'isMulticast']), arg: ip() } };
    case 6: return { __extn: { fn: pick(['lessThan', 'greaterThanOrEqual']), args: [dec(), dec()] } };
    case 7: return { __extn: { fn: pick(['ip', 'decimal', 'datetime', 'duration']), args: [pick(['1.5', '10.0.0.1', '2024-01-01', '1h'])] } };
    case 8: return { __extn: { fn: 'ip', arg: '10.0.0.1', args: ['::1'] } };  // `arg` wins
    case 9: return { __extn: { fn: 'offset', args: [dt(), { __extn: { fn: 'duration', arg: '9223372036854775807ms' } }] } };  // overflow
    case 10: return { __extn: { fn: 'offset', args: [dt()] } };  // wrong arity
    case 11: return { __extn: pick([{ fn: 'ip' }, { fn: 'ip', args: 'x' }, { fn: 7, arg: 'x' }]) };  // a record
    case 12: return { __entity: pick([{ type: 'User' }, { type: 'User', id: 'a', extra: 1 }]) };  // record / entity
    default: return { __extn: { fn: pick(['toDate', 'ip']), arg: pick([dt(), 5, 'nope']) } };
  }
}
function fixExtn(v) {
  // datetime/duration __extn need a matching argument.
  if (v && v.__extn && v.__extn.arg === null) {
    v.__extn.arg = v.__extn.fn === 'datetime' ? pick(DATETIMES.slice(0, 4)) : pick(DURATIONS.slice(0, 6));
  }
  if (Array.isArray(v)) v.forEach(fixExtn);
  else if (v && typeof v === 'object' && !v.__entity && !v.__extn) Object.values(v).forEach(fixExtn);
  return v;
}

function typedAttr(name) {
  switch (name) {
    case 'name': return pick(STRINGS);
    case 'level': return I64(pick(LONGS));
    case 'flag': return chance(0.5);
    case 'labels': return Array.from({ length: int(4) }, () => pick(STRINGS));
    case 'owner': return { __entity: randUid(['User', 'Group']) };
    case 'info': return { a: I64(pick(LONGS.slice(0, 5))), b: pick(STRINGS) };
    case 'addr': return { __extn: { fn: 'ip', arg: pick(IPS.slice(0, -1)) } };
    case 'score': return { __extn: { fn: 'decimal', arg: pick(DECIMALS.slice(0, 5)) } };
    case 'when': return chance(0.1) ? { __extn: { fn: 'offset', args: [{ __extn: { fn: 'datetime', arg: pick(DATETIMES.slice(0, 4)) } }, { __extn: { fn: 'duration', arg: pick(DURATIONS.slice(0, 5)) } }] } }
      : { __extn: { fn: 'datetime', arg: pick(DATETIMES.slice(0, 4)) } };
    case 'ttl': return { __extn: { fn: 'duration', arg: pick(DURATIONS.slice(0, 6)) } };
    default: return fixExtn(jsonValue());
  }
}

function genEntities() {
  const out = [];
  const seen = new Set();
  const n = 4 + int(14);
  for (let i = 0; i < n; i++) {
    const u = randUid();
    const key = u.type + '::' + u.id;
    if (seen.has(key)) continue;
    seen.add(key);
    const attrs = {};
    for (const a of ATTRS) if (chance(0.55)) attrs[a] = typedAttr(a);
    // Parents point "up" (a later type, or the same type with a larger id) so the hierarchy is
    // a DAG; 2% of the time anything goes, which may make a cycle that both sides must reject.
    const parents = [];
    const rank = (t) => ['User', 'Doc', 'NS::Tool', 'Group', 'Folder'].indexOf(t);
    for (let k = int(3); k > 0; k--) {
      const p = randUid(['Group', 'Folder', 'User']);
      if (chance(0.02) || rank(p.type) > rank(u.type) || (p.type === u.type && p.id > u.id)) parents.push(p);
    }
    const e = { uid: u, attrs, parents };
    if (chance(0.4)) {
      e.tags = {};
      for (const t of ['env', 'level', 'owner']) if (chance(0.5)) e.tags[t] = typedAttr(pick(ATTRS));
    }
    out.push(e);
  }
  for (const a of ACTIONS) {
    if (chance(0.8)) {
      const up = a !== 'admin' && chance(0.5);
      out.push({ uid: uid('Action', a), attrs: {}, parents: up ? [uid('Action', 'admin')] : [] });
    }
  }
  return out;
}

function genContext() {
  const c = {};
  if (chance(0.8)) c.n = I64(pick(LONGS));
  if (chance(0.7)) c.s = pick(STRINGS);
  if (chance(0.7)) c.flag = chance(0.5);
  if (chance(0.6)) c.labels = Array.from({ length: int(4) }, () => pick(STRINGS));
  if (chance(0.5)) c.addr = typedAttr('addr');
  if (chance(0.5)) c.when = typedAttr('when');
  if (chance(0.5)) c.ttl = typedAttr('ttl');
  if (chance(0.4)) c.rec = { a: I64(pick(LONGS.slice(0, 5))), b: pick(STRINGS), inner: { x: chance(0.5) } };
  if (chance(0.3)) c.who = { __entity: randUid() };
  if (chance(0.3)) c.any = fixExtn(jsonValue());
  if (chance(0.05)) c.call = extnCall();
  return c;
}

// ---- expressions (mostly well typed, sometimes not, so that some policies error) ----
function expr(type, d) {
  if (d <= 0 || chance(0.25)) return leaf(type);
  if (chance(0.04)) type = pick(['bool', 'long', 'string', 'entity', 'set', 'record']);  // ill-typed on purpose
  const sub = (t) => expr(t, d - 1);
  switch (type) {
    case 'bool':
      switch (int(24)) {
        case 0: return `(${sub('bool')} && ${sub('bool')})`;
        case 1: return `(${sub('bool')} || ${sub('bool')})`;
        case 2: return `!${sub('bool')}`;
        case 3: return `(${sub('long')} ${pick(['<', '<=', '>', '>='])} ${sub('long')})`;
        case 4: return `(${sub(pick(['long', 'string', 'entity', 'set', 'bool']))} ${pick(['==', '!='])} ${sub(pick(['long', 'string', 'entity', 'set', 'bool']))})`;
        case 5: return `(${sub('entity')} in ${chance(0.5) ? sub('entity') : '[' + sub('entity') + ', ' + sub('entity') + ']'})`;
        case 6: return `(${sub(pick(['entity', 'record']))} has ${pick(ATTRS.concat(['a', 'b', 'inner', 'n', 's', 'rec']))})`;
        case 7: return `(${sub(pick(['entity', 'record']))} has ${pick(['info.a', 'rec.inner.x', 'info.c', '"x y"'])})`;
        case 8: return `(${sub('string')} like "${pick(['*', 'a*', '*c', 'a\\*c', '*b*', '', 'abc', '**', 'x*y', '\\u{e9}*', '*\\**', 'a\\**', '\\\\*', '*\\t*', '\\"*'])}")`;
        case 9: return `(${sub('entity')} is ${pick(TYPES)}${chance(0.3) ? ' in ' + sub('entity') : ''})`;
        case 10: return `${sub('set')}.contains(${sub(pick(['string', 'long', 'entity']))})`;
        case 11: return `${sub('set')}.${pick(['containsAll', 'containsAny'])}(${sub('set')})`;
        case 12: return `${sub('set')}.isEmpty()`;
        case 13: return `${sub('entity')}.hasTag(${sub('string')})`;
        case 14: return `${ipExpr(d - 1)}.${pick(['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast'])}()`;
        case 15: return `${ipExpr(d - 1)}.isInRange(${ipExpr(d - 1)})`;
        case 16: return chance(0.9) ? `${decExpr()}.${pick(['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'])}(${decExpr()})`
          : `(${decExpr()} < ${pick([decExpr(), durExpr(0)])})`;
        case 17: return `(${dtExpr(d - 1)} ${pick(['<', '<=', '>', '>=', '==', '!='])} ${dtExpr(d - 1)})`;
        case 18: return `(${durExpr(d - 1)} ${pick(['<', '>=', '=='])} ${durExpr(d - 1)})`;
        case 19: return `(if ${sub('bool')} then ${sub('bool')} else ${sub('bool')})`;
        case 20: return `${sub('entity')}.flag`;
        case 21: return `context.flag`;
        case 22: return `(${sub('entity')} == ${sub('entity')})`;
        default: return `(principal in ${sub('entity')})`;
      }
    case 'long':
      switch (int(10)) {
        case 0: return `(${sub('long')} + ${sub('long')})`;
        case 1: return `(${sub('long')} - ${sub('long')})`;
        case 2: return `(${sub('long')} * ${sub('long')})`;
        case 3: return `(-${sub('long')})`;
        case 4: return `${sub('entity')}.level`;
        case 5: return `${durExpr(d - 1)}.${pick(['toDays', 'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds'])}()`;
        case 6: return `(if ${sub('bool')} then ${sub('long')} else ${sub('long')})`;
        case 7: return `${sub('entity')}.getTag("level")`;
        case 8: return `${sub('record')}["a"]`;  // index access
        default: return `${sub('record')}.a`;
      }
    case 'string':
      switch (int(4)) {
        case 0: return chance(0.8) ? `${sub('entity')}.name` : `${sub('entity')}["name"]`;
        case 1: return `${sub('record')}.b`;
        case 2: return `${sub('entity')}.getTag(${pick(['"env"', '"owner"', 'context.s'])})`;
        default: return `context.s`;
      }
    case 'entity':
      switch (int(4)) {
        case 0: return `${sub('entity')}.owner`;
        case 1: return `context.who`;
        case 2: return pick(['principal', 'resource', 'action']);
        default: return cedarUid(randUid());
      }
    case 'set':
      switch (int(4)) {
        case 0: return `[${Array.from({ length: int(4) }, () => sub(pick(['string', 'long', 'entity']))).join(', ')}]`;
        case 1: return `${sub('entity')}.labels`;
        case 2: return `context.labels`;
        default: return `[${sub('string')}, ${sub('string')}]`;
      }
    default:  // record
      switch (int(4)) {
        case 0: return `${sub('entity')}.info`;
        case 1: return `context.rec`;
        case 2: return `{a: ${sub('long')}, b: ${sub('string')}, "x y": ${sub('bool')}}`;
        default: return `context`;
      }
  }
}

function leaf(type) {
  switch (type) {
    case 'bool': return pick(['true', 'false', 'context.flag', 'principal.flag', 'resource.flag', '(context has n)']);
    case 'long': return pick(LONGS.concat(['context.n', 'principal.level', 'resource.level', 'context.rec.a']));
    case 'string': return pick(STRINGS.map(cedarString).concat(['context.s', 'principal.name', 'resource.name']));
    case 'entity': return pick(['principal', 'resource', 'action', 'context.who', cedarUid(randUid()), 'principal.owner']);
    case 'set': return pick(['[]', '[1, 2]', '["a", "abc"]', 'context.labels', 'principal.labels', '[principal, resource]']);
    default: return pick(['{}', 'context', 'context.rec', 'principal.info', '{a: 1, b: "a"}']);
  }
}
function ipExpr(d) {
  return pick([`ip(${cedarString(pick(IPS))})`, 'context.addr', 'principal.addr', 'resource.addr']);
}
function decExpr() {
  return pick([`decimal(${cedarString(pick(DECIMALS))})`, 'principal.score', 'resource.score']);
}
function dtExpr(d) {
  const base = pick([`datetime(${cedarString(pick(DATETIMES))})`, 'context.when', 'principal.when']);
  if (d > 0 && chance(0.4)) return `${base}.${pick(['offset(' + durExpr(0) + ')', 'toDate()'])}`;
  if (d > 0 && chance(0.2)) return `${base}.toTime()`;
  return base;
}
function durExpr(d) {
  const base = pick([`duration(${cedarString(pick(DURATIONS))})`, 'context.ttl', 'resource.ttl']);
  if (d > 0 && chance(0.3)) return `${dtExpr(0)}.durationSince(${dtExpr(0)})`;
  return base;
}

function scope(v) {
  const slot = v === 'action' ? null : '?' + v;
  const types = v === 'principal' ? ['User', 'Group'] : ['Doc', 'Folder', 'NS::Tool'];
  switch (int(v === 'action' ? 4 : 6)) {
    case 0: return v;
    case 1: return `${v} == ${cedarUid(v === 'action' ? uid('Action', pick(ACTIONS)) : randUid())}`;
    case 2: return `${v} in ${cedarUid(v === 'action' ? uid('Action', pick(ACTIONS)) : randUid(['Group', 'Folder', 'User']))}`;
    case 3: return v === 'action' ? `action in [${ACTIONS.filter(() => chance(0.5)).map((a) => cedarUid(uid('Action', a))).join(', ')}]` : `${v} is ${pick(types)}`;
    case 4: return `${v} is ${pick(types)} in ${cedarUid(randUid(['Group', 'Folder']))}`;
    default: return v;
  }
}

function conditions() {
  let text = '';
  for (let k = int(3); k > 0; k--) text += ` ${chance(0.7) ? 'when' : 'unless'} { ${expr('bool', 1 + int(3))} }`;
  return text;
}

// A template scope: a slot with `==`, `in` or `is … in`, or an ordinary constraint.
function slotScope(v) {
  switch (int(4)) {
    case 0: return `${v} == ?${v}`;
    case 1: return `${v} in ?${v}`;
    case 2: return `${v} is ${pick(v === 'principal' ? ['User', 'Group'] : ['Doc', 'Folder'])} in ?${v}`;
    default: return scope(v);
  }
}

// Static policies as text (ids policy0, policy1, ...), and in a third of the sets 1–2
// templates (t0, t1) with 1–3 links each (l0, l1, ...), mostly to entities of the set (so that
// linked policies decide requests), sometimes to entities that do not exist.
function genPolicies(entities) {
  const n = 2 + int(6);
  const out = [];
  for (let i = 0; i < n; i++) {
    const ann = chance(0.2) ? `@id("p${i}") ` : '';
    const text = `${ann}${chance(0.7) ? 'permit' : 'forbid'}(${scope('principal')}, ${scope('action')}, ${scope('resource')})`;
    out.push(text + conditions() + ';');
  }
  const templates = {};
  const templateLinks = [];
  if (chance(0.35)) {
    for (let t = 1 + int(2), i = 0; i < t; i++) {
      let p = slotScope('principal'), r = slotScope('resource');
      if (!p.includes('?') && !r.includes('?')) p = 'principal == ?principal';
      templates[`t${i}`] = `${chance(0.6) ? 'permit' : 'forbid'}(${p}, ${scope('action')}, ${r})${chance(0.5) ? conditions() : ''};`;
      for (let k = 1 + int(3); k > 0; k--) {
        const values = {};
        const known = (types) => {
          const fit = entities.filter((e) => types.includes(e.uid.type));
          return fit.length && chance(0.85) ? pick(fit).uid : randUid(types);
        };
        if (p.includes('?')) values['?principal'] = known(['User', 'Group']);
        if (r.includes('?')) values['?resource'] = known(['Doc', 'Folder', 'NS::Tool']);
        templateLinks.push({ templateId: `t${i}`, newId: `l${templateLinks.length}`, values });
      }
    }
  }
  return { policies: out.join('\n'), templates, templateLinks };
}

function toEst(set) {
  const parts = cedar.policySetTextToParts(set.policies);
  if (parts.type !== 'success') return undefined;
  const est = { staticPolicies: {}, templates: {}, templateLinks: set.templateLinks };
  for (let i = 0; i < parts.policies.length; i++) {
    const j = cedar.policyToJson(parts.policies[i]);
    if (j.type !== 'success') return undefined;
    est.staticPolicies[`policy${i}`] = j.json;
  }
  for (const [id, text] of Object.entries(set.templates)) {
    const j = cedar.templateToJson(text);
    if (j.type !== 'success') return undefined;
    est.templates[id] = j.json;
  }
  return est;
}

// ---- run ----
const sets = [];
let produced = 0;
while (produced < totalRequests) {
  const entities = genEntities();
  const { policies, templates, templateLinks } = genPolicies(entities);
  const requests = [];
  for (let i = 0; i < perSet && produced < totalRequests; i++, produced++) {
    let principal = chance(0.8) && entities.length ? pick(entities).uid : randUid();
    let resource = chance(0.8) && entities.length ? pick(entities).uid : randUid();
    // Requests aimed at a linked policy, so that links decide some of them.
    if (templateLinks.length && chance(0.5)) {
      const link = pick(templateLinks);
      principal = link.values['?principal'] || principal;
      resource = link.values['?resource'] || resource;
    }
    requests.push({ principal, action: uid('Action', pick(ACTIONS)), resource, context: genContext() });
  }
  const set = { policies, templates, templateLinks, entities, requests };
  // A quarter of the sets reach Mandate as Cedar's JSON policy format (EST), printed by the
  // reference, so the EST reader is compared too (the reference still reads the text).
  // (Not when a literal is beyond 2^53: the reference's EST comes back as JS numbers.)
  const bigLiteral = /\d{16,}/.test(policies + Object.values(templates).join(''));
  if (chance(0.25) && !bigLiteral) set.est = toEst(set);
  sets.push(set);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cedar-diff-'));
const input = path.join(dir, 'cases.json');
fs.writeFileSync(input, JSON.stringify({ sets }));
const ours = JSON.parse(execFileSync(driver, [input], { maxBuffer: 1 << 30 }).toString());
fs.rmSync(dir, { recursive: true, force: true });

let estSets = 0;
let compared = 0, disagreements = 0, allow = 0, withErrors = 0, parseFailures = 0, linkReasons = 0;
const sortIds = (a) => [...a].sort();
for (let s = 0; s < sets.length; s++) {
  const set = sets[s];
  const mine = ours.sets[s];
  if (set.est) estSets++;
  const policySet = { staticPolicies: set.policies, templates: set.templates, templateLinks: set.templateLinks };
  // The reference's pre-parsed path (one parse per set, as cedar-wasm documents for speed);
  // --stateless calls isAuthorized with the policy text every time instead.
  const preparsed = stateless ? null : cedar.preparsePolicySet('diff', policySet);
  for (let r = 0; r < set.requests.length; r++) {
    const req = set.requests[r];
    let ref;
    if (stateless) {
      ref = cedar.isAuthorized({ ...req, policies: policySet, entities: set.entities });
    } else if (preparsed.type !== 'success') {
      ref = preparsed;
    } else {
      ref = cedar.statefulIsAuthorized({ ...req, preparsedPolicySetId: 'diff', entities: set.entities });
    }
    let expected;
    if (ref.type !== 'success') {
      expected = { failure: true };
    } else {
      expected = {
        decision: ref.response.decision,
        reasons: sortIds(ref.response.diagnostics.reason),
        errors: sortIds(ref.response.diagnostics.errors.map((e) => e.policyId)),
      };
    }
    const got = mine.failure || mine.results[r].failure ? { failure: true } : {
      decision: mine.results[r].decision,
      reasons: sortIds(mine.results[r].reasons),
      errors: sortIds(mine.results[r].errors),
    };
    compared++;
    if (expected.failure) { parseFailures++; if (process.env.SHOW_FAIL) console.log("FAIL", ref.errors.map((e) => e.message).join(" | ").slice(0, 200)); }
    if (expected.decision === 'allow') allow++;
    if (expected.errors && expected.errors.length) withErrors++;
    if (expected.reasons && expected.reasons.some((id) => id.startsWith('l'))) linkReasons++;
    if (origStringify(expected) !== origStringify(got)) {
      disagreements++;
      if (disagreements <= 5) {
        console.log('DISAGREEMENT', origStringify({ expected, got, mine: mine.failure ? mine.message : mine.results[r] }));
        console.log('  ref errors:', ref.type === 'success' ? origStringify(ref.response.diagnostics.errors) : origStringify(ref.errors));
        console.log('  policies:\n' + set.policies);
        console.log('  request:', JSON.stringify(req));
        console.log("  entities:", JSON.stringify(set.entities).slice(0, 3000));
      }
    }
  }
}
console.log(`cedar diff: seed ${seed}: ${compared} requests over ${sets.length} policy sets, ` +
  `${disagreements} disagreements (allow ${allow}, with policy errors ${withErrors}, ` +
  `rejected inputs ${parseFailures}, sets given to Mandate as EST ${estSets}, sets with templates ${sets.filter((x) => x.templateLinks.length).length}, ` +
  `allowed or forbidden by a linked policy ${linkReasons})`);
process.exit(disagreements === 0 ? 0 : 1);
