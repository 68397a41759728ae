#!/usr/bin/env bash
# `mandate mandate validate|show|graph` on the real binary: the examples validate, a broken
# mandate fails with compiler-style positions, `show` output loads again to the same digest,
# `graph` prints DOT.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. Every example validates (warnings allowed), with a digest per mandate.
"$bin" mandate validate examples/mandates >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "examples do not validate"; }
grep -q "invoice-processing.yaml: ok: mandate \`invoice-processing\` version \`1.0.0\` sha256:" "$work/out" ||
  fail "no ok line for invoice-processing: $(cat "$work/out")"
grep -q " 0 error(s)" "$work/out" || fail "errors reported"

# 2. A broken mandate: every error with file:line:column, exit 1.
cat >"$work/broken.yaml" <<'YAML'
name: broken
version: "1"
owner: someone
systems:
  - {name: bank, kind: http, audience: bank}
steps:
  - id: pay
    system: bnk
    actions: POST
    resources: /payments
    args: {amount: long}
    guard: context.args.amout > 0
    max_call: 3
YAML
if "$bin" mandate validate "$work/broken.yaml" >"$work/out" 2>"$work/err"; then fail "broken mandate accepted"; fi
grep -q "broken.yaml:13:5: error: step: unknown key \`max_call\` \[mandate.unknown_key\]" "$work/err" ||
  fail "unknown key not reported: $(cat "$work/err")"
grep -q "broken.yaml:12:25: error: step \`pay\`: guard: unknown argument \`amout\`" "$work/err" ||
  fail "guard argument not reported: $(cat "$work/err")"
grep -q "unknown system \`bnk\`" "$work/err" || fail "bad system reference not reported"
grep -q " 3 error(s)" "$work/out" || fail "expected 3 errors: $(cat "$work/out")"

# 3. show: normalised JSON that loads again to the same digest.
"$bin" mandate show examples/mandates/payments.yaml >"$work/payments.json"
"$bin" mandate validate examples/mandates/payments.yaml | head -1 | awk '{print $NF}' >"$work/d1"
"$bin" mandate validate "$work/payments.json" 2>/dev/null | head -1 | awk '{print $NF}' >"$work/d2"
cmp -s "$work/d1" "$work/d2" || fail "digest changed through show: $(cat "$work/d1") vs $(cat "$work/d2")"
"$bin" mandate show --format cedar-schema examples/mandates/payments.yaml | grep -q '^action "pay_small" appliesTo' ||
  fail "cedar schema lacks the step action"
"$bin" mandate show --format cedar-policies examples/mandates/payments.yaml | grep -q '^@id("order.get_balance.pay_small")' ||
  fail "cedar policies lack the branch forbid"

# 4. graph: DOT with the branch condition on the edge.
"$bin" mandate graph examples/mandates/payments.yaml >"$work/g.dot"
head -1 "$work/g.dot" | grep -q '^digraph "payments 2.1.0" {' || fail "not a digraph"
grep -q '"get_balance" -> "ask_approval" \[label="context.args.amount > 1000"\]' "$work/g.dot" || fail "branch edge missing"

# 5. Unreadable and hostile input: clear errors, exit 1, no crash.
if "$bin" mandate validate "$work/missing.yaml" 2>"$work/err"; then fail "missing file accepted"; fi
grep -q "mandate.unreadable" "$work/err" || fail "missing file not reported"
head -c 2000000 /dev/zero | tr '\0' '#' >"$work/huge.yaml"  # a YAML comment past the 1 MiB bound
if "$bin" mandate validate "$work/huge.yaml" 2>"$work/err"; then fail "oversized file accepted"; fi
grep -q "larger than 1048576 bytes" "$work/err" || fail "oversized file not reported: $(cat "$work/err")"
if "$bin" mandate validate /dev/zero 2>"$work/err"; then fail "an endless device accepted"; fi
grep -q "mandate.unreadable" "$work/err" || fail "an endless device not bounded: $(cat "$work/err")"
printf 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n' >"$work/bomb.yaml"
if "$bin" mandate validate "$work/bomb.yaml" 2>"$work/err"; then fail "alias bomb accepted"; fi
grep -q "mandate.too_many_nodes" "$work/err" || fail "alias bomb not bounded: $(cat "$work/err")"
echo "mandate cli: ok"
