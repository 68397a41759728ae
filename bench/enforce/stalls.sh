#!/usr/bin/env bash
# What ran on the machine while gateway calls were slow: one sealed run at 3k/s (bench.js, with
# its per-request timeline) under a scheduler trace (perf sched, CLOCK_MONOTONIC like the
# timeline), then, per process or thread, its share of the 2 cores over the whole trace and
# during the stalls (the spans of calls that took over 1 ms). A thread whose share rises in the
# stalls is what the slow calls waited behind. Needs perf and root (or perf_event_paranoid <= 1).
# Usage: bench/enforce/stalls.sh [BUILD_DIR] [SECONDS]   (from the repository root; time it under
#   the bench lock like run.sh)
set -euo pipefail
build=${1:-build-rel}
seconds=${2:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
MANDATE_BENCH_TIMELINE_DIR=$dir MANDATE_BENCH_PHASES=gateway MANDATE_BENCH_RATES=3000 \
  MANDATE_BENCH_MODES=sealed bench/enforce/run.sh "$build" 1000 "$seconds" >"$dir/bench.out" 2>&1 &
bench=$!
for _ in $(seq 1 1200); do  # until the sealed run's load generator runs
  pgrep -f "enforce_loadgen --url http://[0-9.:]+/sealed/" >/dev/null && break
  kill -0 "$bench" 2>/dev/null || { cat "$dir/bench.out"; exit 1; }
  sleep 0.05
done
gateway=$(pgrep -f "$build/mandate gateway --config .*/gw0.yaml" | head -1)
authority=$(pgrep -f "$build/mandate serve" | head -1)
perf sched record -k CLOCK_MONOTONIC -o "$dir/sched.data" -- sleep "$((seconds - 1))" >/dev/null 2>&1
wait "$bench"
grep '^3000' "$dir/bench.out"
perf sched timehist -i "$dir/sched.data" 2>/dev/null >"$dir/timehist.txt"
python3 - "$dir/3000-sealed.txt" "$dir/timehist.txt" "$gateway" "$authority" <<'EOF'
import bisect, collections, re, sys
timeline, timehist, gateway, authority = sys.argv[1:5]
with open(timeline) as f:
    start = int(f.readline().split()[2]) / 1e9  # `# start_monotonic_ns N`
    calls = [tuple(int(x) for x in line.split()[:2]) for line in f if not line.startswith('#')]
runs = []  # (from, to, task): a task ran until it was switched out at `to`
for line in open(timehist).read().split('\n')[3:]:
    p = line.split()
    try:
        to, ran = float(p[0]), float(p[-1]) / 1000
    except (IndexError, ValueError):
        continue
    runs.append((to - ran, to, p[2]))
first, last = min(r[0] for r in runs), max(r[1] for r in runs)
def name(task):
    m = re.match(r'(.*)\[(\d+)(?:/(\d+))?\]$', task)
    if not m:
        return task
    comm, tid, pid = m.groups()
    if comm == 'mandate' and pid in (gateway, authority):
        return ('gateway' if pid == gateway else 'authority') + ' thread ' + tid
    if comm.startswith('cc1') or comm in ('as', 'ccache', 'c++', 'ld', 'collect2', 'ninja', 'cmake'):
        return 'compilers (not the bench)'
    return comm
slow = sorted((start + s / 1e6, start + (s + l) / 1e6) for s, l in calls
              if l > 1000 and first < start + s / 1e6 < last)
spans = []
for a, b in slow:
    if spans and a <= spans[-1][1]:
        spans[-1][1] = max(spans[-1][1], b)
    else:
        spans.append([a, b])
in_spans = sum(b - a for a, b in spans) or 1e-9
starts = [s[0] for s in spans]
share, share_slow = collections.Counter(), collections.Counter()
for a, b, task in runs:
    n = name(task)
    share[n] += b - a
    i = bisect.bisect_right(starts, b) - 1
    while i >= 0 and spans[i][1] > a:
        share_slow[n] += max(0.0, min(b, spans[i][1]) - max(a, spans[i][0]))
        i -= 1
traced = sum(1 for s, _ in calls if first < start + s / 1e6 < last)
print(f'{traced} calls in the trace, {len(slow)} over 1 ms; their spans cover '
      f'{in_spans * 1000:.0f} of {(last - first) * 1000:.0f} ms')
print(f'{"who ran":34} {"share of 2 cores":>17} {"during the stalls":>18}')
for n, t in share.most_common(14):
    print(f'{n:34} {100 * t / (2 * (last - first)):16.1f}% {100 * share_slow[n] / (2 * in_spans):17.1f}%')
EOF
