// The docs against the code: the JSON Schema of docs/mandates.md validates every example
// mandate (and rejects broken ones), the loader agrees, docs/api.md names every route and every
// error code the server emits, docs/cli.md names every subcommand of the real binary, and the
// README's links and two commands exist. YAML is read with PyYAML, the schema checked with Ajv
// (JSON Schema 2020-12), both software we did not write.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const Ajv2020 = require('ajv/dist/2020').default;

const bin = path.resolve(process.env.MANDATE_BIN || process.argv[2]);
const read = (p) => fs.readFileSync(p, 'utf8');
// Every YAML text of the tests read in one PyYAML run (a process start is slow on a busy machine).
const yamlCache = new Map();
function loadYaml(texts) {
  const todo = texts.filter((t) => !yamlCache.has(t));
  if (!todo.length) return;
  const out = JSON.parse(execFileSync('python3', ['-c', 'import sys, json, yaml; ' +
    'json.dump([yaml.safe_load(t) for t in json.load(sys.stdin)], sys.stdout, default=str)'],
  { input: JSON.stringify(todo), maxBuffer: 1 << 26 }));
  todo.forEach((t, i) => yamlCache.set(t, out[i]));
}
const yamlToJson = (text) => {
  loadYaml([text]);
  return structuredClone(yamlCache.get(text));
};
function filesUnder(dir, pattern) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p, pattern) : pattern.test(e.name) ? [p] : [];
  });
}

const schema = JSON.parse(read('docs/mandate.schema.json'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const examples = filesUnder('examples', /\.(ya?ml|json)$/).filter((f) =>
  /examples\/mandates\//.test(f) || /mandate\.(ya?ml|json)$/.test(path.basename(f)));
const docBlocks = [...read('docs/mandates.md').matchAll(/```(yaml|json)\n([\s\S]*?)```/g)];
loadYaml([...examples.filter((f) => !f.endsWith('.json')).map(read), read('examples/mandates/payments.yaml'),
  ...docBlocks.filter((b) => b[1] === 'yaml').map((b) => b[2])]);

test('the JSON Schema validates every example mandate', () => {
  assert.ok(examples.length >= 10, 'examples found: ' + examples.length);
  for (const file of examples) {
    const doc = file.endsWith('.json') ? JSON.parse(read(file)) : yamlToJson(read(file));
    assert.ok(validate(doc), `${file}: ${JSON.stringify(validate.errors)}`);
  }
});

test('the loader accepts every example the schema accepts', () => {
  const r = spawnSync(bin, ['mandate', 'validate', ...examples], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
});

test('every mandate example in docs/mandates.md validates (fragments over payments.yaml)', () => {
  const base = yamlToJson(read('examples/mandates/payments.yaml'));
  assert.ok(docBlocks.length >= 3);
  for (const [, lang, text] of docBlocks) {
    const doc = lang === 'json' ? JSON.parse(text) : yamlToJson(text);
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) continue;
    const whole = 'name' in doc ? doc : { ...base, ...doc };
    assert.ok(validate(whole), `docs/mandates.md block:\n${text}\n${JSON.stringify(validate.errors)}`);
  }
});

test('the schema rejects what the loader rejects: unknown keys, missing owner, bad types', () => {
  const base = yamlToJson(read('examples/mandates/payments.yaml'));
  const broken = [
    { ...base, colour: 'red' },
    Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'owner')),
    { ...base, steps: [{ ...base.steps[0], max_calls: 'five' }] },
    { ...base, steps: [{ ...base.steps[0], typo_field: 1 }] },
  ];
  for (const doc of broken) assert.strictEqual(validate(doc), false, JSON.stringify(doc).slice(0, 200));
});

const serverSources = filesUnder('src/server', /\.cc$/).filter((f) => !/_test\.cc$/.test(f));
const api = read('docs/api.md');

test('docs/api.md names every route of the server', () => {
  const routes = new Set();
  for (const f of serverSources) {
    for (const m of read(f).matchAll(/router\.Add(?:Async)?\(\s*"([A-Z]+)",\s*"([^"]+)"/g)) routes.add(m[2]);
  }
  assert.ok(routes.size >= 12, [...routes].join(' '));
  for (const route of routes) {
    const documented = route.replace(/\{rest\.\.\.\}$/, '').replace(/\/$/, '');
    assert.ok(api.includes(documented), `docs/api.md does not mention \`${route}\``);
  }
});

test('docs/api.md names every error and reason code the API emits', () => {
  const sources = [...serverSources, ...filesUnder('src/authority', /\.cc$/), 'src/json/json.cc',
    'src/http/internal/session.cc', 'src/mandate/chain.cc'].filter((f) => !/_test\.cc$/.test(f));
  // Start-up and configuration errors never reach a client; `explain.*` are the offline
  // `mandate explain`'s (docs/cli.md); `chain.invalid` is an unreachable fallback;
  // `task.count` is the in-process batch start's (benchmarks), never reached over HTTP.
  const startup = /^(config|authority|crypto|store\.master_key|mandate\.cedar|mandate\.invalid|http\.listen|http\.tls_config|explain\.|chain\.invalid$|task\.count$)/;
  const codes = new Set();
  const patterns = [
    /(?:NotFound|InvalidArgument|PermissionDenied|Unauthenticated|Internal|FailedPrecondition|Unavailable|ResourceExhausted|DataLoss|OutOfRange)\(\s*"([a-z_]+\.[a-z_.]+)"/g,
    /Err\(\s*StatusCode::k\w+,\s*"([a-z_]+\.[a-z_.]+)"/g,
    /Response::Error\([^,]+,\s*"([a-z_]+\.[a-z_.]+)"/g,
    /Deny(?:Decision)?\(\s*"\w+",\s*"([a-z_]+\.[a-z_.]+)"/g,
    /return "(chain\.[a-z_]+)"/g,
  ];
  for (const f of sources) for (const p of patterns) for (const m of read(f).matchAll(p)) codes.add(m[1]);
  assert.ok(codes.size >= 30, [...codes].join(' '));
  const identity = read('docs/identity.md');
  const missing = [...codes].filter((c) => !startup.test(c) && !api.includes('`' + c + '`') &&
    !identity.includes('`' + c + '`'));
  assert.deepStrictEqual(missing, [], 'codes missing from docs/api.md');
});

function subcommands(args) {
  const help = execFileSync(bin, [...args, '--help'], { encoding: 'utf8' });
  const at = help.indexOf('SUBCOMMANDS:') >= 0 ? help.indexOf('SUBCOMMANDS:') : help.indexOf('Subcommands:');
  if (at < 0) return [];
  return help.slice(at).split('\n').slice(1).map((l) => /^ {2}(\S+)/.exec(l)).filter(Boolean).map((m) => m[1]);
}

test('docs/cli.md names every subcommand of the binary', () => {
  const cli = read('docs/cli.md');
  const top = subcommands([]);
  assert.ok(top.includes('task') && top.includes('explain') && top.includes('authorize'), top.join(' '));
  for (const name of top) {
    assert.ok(cli.includes('mandate ' + name), `docs/cli.md does not mention \`mandate ${name}\``);
    for (const sub of subcommands([name])) {
      const re = new RegExp(`mandate ${name} (?:[a-z-]+\\\\?\\|)*${sub}\\b`);
      assert.match(cli, re, `docs/cli.md does not mention \`mandate ${name} ${sub}\``);
    }
  }
});

test('README: two commands that exist, links that resolve', () => {
  const readme = read('README.md');
  const makefile = read('Makefile');
  for (const target of ['run', 'test']) {
    assert.match(readme, new RegExp('^make ' + target + '\\b', 'm'));
    assert.match(makefile, new RegExp('^' + target + ':', 'm'));
  }
  assert.match(read('.ci/run'), /^make test$/m);
  const links = [...readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^https?:/.test(l));
  assert.ok(links.length >= 8);
  for (const link of links) assert.ok(fs.existsSync(link), 'README links to missing ' + link);
  for (const doc of ['docs/architecture.md', 'docs/mandates.md', 'docs/api.md', 'docs/cli.md', 'docs/operations.md']) {
    assert.ok(links.includes(doc), 'README does not link ' + doc);
  }
});
