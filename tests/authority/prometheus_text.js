// A strict reader of the Prometheus text exposition format 0.0.4 (promtool is not on the
// machine): every line must be a HELP, TYPE, comment or sample line; names, label names and
// escapes as the format says; TYPE before a family's samples and each family contiguous; no
// duplicate series; counters non-negative; histograms with ascending `le`, cumulative buckets
// ending at +Inf equal to `_count`, and a `_sum`. Throws on the first violation.
'use strict';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]Inf|NaN)$/;

function parseValue(text, where) {
  if (!NUMBER.test(text)) throw new Error(`${where}: bad value \`${text}\``);
  return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}

// `name{a="b",c="d"} value [timestamp]` -> { name, labels, value }
function parseSample(line, where) {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name \`${name}\``);
  const labels = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0) throw new Error(`${where}: label without \`=\``);
      const key = line.slice(i, eq);
      if (!LABEL.test(key)) throw new Error(`${where}: bad label name \`${key}\``);
      if (key in labels) throw new Error(`${where}: label \`${key}\` twice`);
      if (line[eq + 1] !== '"') throw new Error(`${where}: label value must be quoted`);
      let value = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\') {
          const next = line[++j];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`${where}: bad escape \`\\${next}\``);
        } else if (line[j] === '\n') {
          throw new Error(`${where}: raw newline in a label value`);
        } else {
          value += line[j];
        }
      }
      if (j >= line.length) throw new Error(`${where}: unterminated label value`);
      labels[key] = value;
      i = j + 1;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`${where}: expected \`,\` or \`}\` after a label`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
  const rest = line.slice(i + 1).split(' ');
  if (rest.length > 2 || (rest.length === 2 && !/^-?\d+$/.test(rest[1]))) {
    throw new Error(`${where}: expected \`value [timestamp]\``);
  }
  return { name, labels, value: parseValue(rest[0], where) };
}

function familyOf(sampleName, families) {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.get(base)?.type === 'histogram') return base;
    }
  }
  return sampleName;
}

function checkHistogram(name, family) {
  const groups = new Map();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (!groups.has(key)) groups.set(key, { buckets: [], sum: null, count: null });
    const g = groups.get(key);
    if (s.name === name + '_bucket') {
      if (le === undefined) throw new Error(`${name}: bucket without \`le\``);
      g.buckets.push([parseValue(le, name + ' le'), s.value]);
    } else if (s.name === name + '_sum') g.sum = s.value;
    else if (s.name === name + '_count') g.count = s.value;
    else throw new Error(`${name}: unexpected sample \`${s.name}\` in a histogram`);
  }
  for (const g of groups.values()) {
    if (g.sum === null || g.count === null) throw new Error(`${name}: missing _sum or _count`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i][0] > g.buckets[i - 1][0])) throw new Error(`${name}: \`le\` not ascending`);
      if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${name}: buckets not cumulative`);
    }
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new Error(`${name}: no +Inf bucket`);
    if (last[1] !== g.count) throw new Error(`${name}: +Inf bucket ${last[1]} != _count ${g.count}`);
  }
}

// Returns Map(name -> { type, help, samples: [{name, labels, value}] }).
function parsePrometheusText(text) {
  if (text.length && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map();
  const seenSeries = new Set();
  const finished = new Set();
  let current = null;
  const family = (name) => {
    if (!families.has(name)) families.set(name, { type: 'untyped', help: null, samples: [], typed: false });
    return families.get(name);
  };
  const enter = (name, where) => {
    if (current !== name) {
      if (finished.has(name)) throw new Error(`${where}: family \`${name}\` is not contiguous`);
      if (current) finished.add(current);
      current = name;
    }
  };
  text.split('\n').slice(0, -1).forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return;  // a plain comment
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name \`${name}\``);
      enter(name, where);
      const f = family(name);
      if (kind === 'TYPE') {
        if (f.typed) throw new Error(`${where}: second TYPE for \`${name}\``);
        if (f.samples.length) throw new Error(`${where}: TYPE after samples of \`${name}\``);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
          throw new Error(`${where}: unknown type \`${rest}\``);
        }
        f.type = rest;
        f.typed = true;
      } else {
        if (f.help !== null) throw new Error(`${where}: second HELP for \`${name}\``);
        if (/\\(?![\\n])/.test(rest)) throw new Error(`${where}: bad escape in HELP`);
        f.help = rest;
      }
      return;
    }
    const s = parseSample(line, where);
    const name = familyOf(s.name, families);
    enter(name, where);
    const series = s.name + JSON.stringify(Object.entries(s.labels).sort());
    if (seenSeries.has(series)) throw new Error(`${where}: duplicate series ${series}`);
    seenSeries.add(series);
    const f = family(name);
    if (f.type === 'counter' && !(s.value >= 0)) throw new Error(`${where}: negative counter`);
    f.samples.push(s);
  });
  for (const [name, f] of families) if (f.type === 'histogram') checkHistogram(name, f);
  return families;
}

// The value of the one sample of `name` whose labels include `labels` (0 when absent).
function sampleValue(families, name, labels = {}) {
  const f = families.get(name.replace(/_(bucket|sum|count)$/, '')) || families.get(name);
  if (!f) return 0;
  const s = f.samples.find((x) => x.name === name &&
    Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s ? s.value : 0;
}

module.exports = { parsePrometheusText, sampleValue };
