#!/usr/bin/env bash
# A/B of server CPU per operation between two builds of FastIo, for changes smaller than the drift between runs.
#
#   bench/ab.sh --base REV [--workload ws|upgrade|poll|echo] [--rounds 10] [--count N] [--warmup N] [--port 5600]
#               [--env-b NAME=VALUE]...
#
# A is REV (built in a temporary git worktree), B is this working tree (built here). Both `fastio bench` servers run at
# the same time, pinned to core 0, each idle while the other is driven; `FastIo.LoadGen drive` on core 1 alternates
# rounds A B A B on the same two processes. Why not one server after the other: on these VMs separate server
# processes started minutes apart drifted from 33 to 45 µs per WebSocket connect for the same build (bench/RESULTS.md,
# "accept hash"), which hides a change of a few per cent; rounds seconds apart see the same host. The order alternates
# too (A B, then B A), so that neither side always goes first. Prints each round, then the medians and means (total,
# kernel, user µs per operation) and in how many rounds B was lower. `--env-b NAME=VALUE` (repeatable) starts B with
# that environment variable: with `--base HEAD` it compares a runtime setting on one build. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

base=
workload=ws
rounds=10
count=
warmup=
port=5600
env_b=()
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift 2 ;;
    --workload) workload="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --env-b) env_b+=("$2"); shift 2 ;;
    *) echo "unknown option $1 (--base REV, --workload ws|upgrade|poll|echo, --rounds R, --count N, --warmup N, --port P, --env-b NAME=VALUE)" >&2; exit 2 ;;
  esac
done
if [ -z "$base" ]; then
  echo "--base REV is required (the build to compare this working tree with)" >&2
  exit 2
fi

# Defaults per workload: each round uses over a second of server CPU (/proc counts in 10 ms ticks), and the warm-up
# covers the JIT's tier-up (bench/RESULTS.md, "warm S2").
case "$workload" in
  ws) count=${count:-40000}; warmup=${warmup:-6000} ;;
  upgrade) count=${count:-15000}; warmup=${warmup:-4500} ;;
  poll) count=${count:-70000}; warmup=${warmup:-20000} ;;
  echo) count=${count:-70000}; warmup=${warmup:-20000} ;;
  *) echo "unknown workload $workload" >&2; exit 2 ;;
esac

ulimit -n 20000 2>/dev/null || true
work=$(mktemp -d /tmp/fastio-ab.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
    if [ "$alive" = 0 ]; then break; fi
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  git worktree remove --force "$work/base" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# No build servers left behind: they would run unpinned during the measurement.
build() { dotnet build "$1" -c Release -nologo -clp:ErrorsOnly -v q -nodeReuse:false -p:UseSharedCompilation=false; }
git worktree add --detach "$work/base" "$base" >/dev/null
build "$work/base/src/Server"
build src/Server
build bench/FastIo.LoadGen

answers() { [ "$(curl -s -o /dev/null -m 0.3 -w '%{http_code}' "http://127.0.0.1:$1/socket.io/?EIO=4&transport=polling" || true)" = 200 ]; }

# start DIR PORT NAME [NAME=VALUE...]: a `fastio bench` of that tree pinned to core 0 (taskset execs it: $! is the
# server's pid), ready once it answers a polling handshake.
start() {
  local dir=$1 p=$2 name=$3
  shift 3
  if answers "$p"; then
    echo "port $p is taken by another server" >&2
    exit 1
  fi
  env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS "$@" taskset -c 0 "$dir/src/Server/bin/Release/net10.0/fastio" bench --port "$p" --host 127.0.0.1 >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    if answers "$p"; then
      return 0
    fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "$name did not answer on port $p:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# The generator as in bench/run.sh: socket completions inline on its epoll thread, pinned to core 1.
drive() {
  DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 taskset -c 1 \
    dotnet bench/FastIo.LoadGen/bin/Release/net10.0/FastIo.LoadGen.dll drive --workload "$workload" "$@"
}

start "$work/base" "$port" a
pid_a=${pids[-1]}
start . "$((port + 1))" b "${env_b[@]}"
pid_b=${pids[-1]}
drive --port "$port" --count "$warmup" >/dev/null
drive --port "$((port + 1))" --count "$warmup" >/dev/null

modified=
if [ -n "$(git status --porcelain -- src)" ]; then modified=', modified'; fi
echo "A = $(git rev-parse --short "$base"), B = this tree ($(git rev-parse --short HEAD)$modified)${env_b[*]:+ with ${env_b[*]}}; $workload, $rounds rounds of $count after $warmup; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/rounds"
for round in $(seq 1 "$rounds"); do
  order="a b"
  if [ $((round % 2)) = 0 ]; then order="b a"; fi
  for side in $order; do
    p=$port; pid=$pid_a
    if [ "$side" = b ]; then p=$((port + 1)); pid=$pid_b; fi
    sleep 1 # the previous round's closes
    line=$(drive --port "$p" --count "$count" --pid "$pid" | tail -n 1)
    echo "round $round ${side^^}: $line"
    # "..., server CPU X µs per op, kernel Y µs per op"
    sed -nE "s/.*server CPU ([0-9.]+) µs per op, kernel ([0-9.]+) µs per op.*/$round $side \1 \2/p" <<<"$line" >>"$work/rounds"
    if ! grep -q "^$round $side " "$work/rounds"; then
      echo "could not read the server CPU from: $line" >&2
      exit 1
    fi
  done
done

awk '
  { total[$2, $1] = $3; kernel[$2, $1] = $4; n[$2]++ }
  function median(side, what,   i, j, k, v, t) {
    k = 0
    for (i = 1; i <= n[side]; i++) { v[++k] = (what == "total" ? total[side, i] : what == "kernel" ? kernel[side, i] : total[side, i] - kernel[side, i]) }
    for (i = 2; i <= k; i++) { t = v[i]; j = i - 1; while (j > 0 && v[j] > t) { v[j + 1] = v[j]; j-- } v[j + 1] = t }
    return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
  }
  function mean(side, what,   i, s) {
    s = 0
    for (i = 1; i <= n[side]; i++) { s += (what == "total" ? total[side, i] : what == "kernel" ? kernel[side, i] : total[side, i] - kernel[side, i]) }
    return s / n[side]
  }
  END {
    lower = 0
    for (i = 1; i <= n["b"]; i++) if (total["b", i] < total["a", i]) lower++
    print ""
    print "| µs per op | A median | B median | B ÷ A | A mean | B mean |"
    print "|---|---:|---:|---:|---:|---:|"
    split("total kernel user", whats, " ")
    for (w = 1; w <= 3; w++) {
      a = median("a", whats[w]); b = median("b", whats[w])
      printf "| %s | %.2f | %.2f | %.3f | %.2f | %.2f |\n", whats[w], a, b, (a > 0 ? b / a : 0), mean("a", whats[w]), mean("b", whats[w])
    }
    printf "\nB lower than A in %d of %d rounds.\n", lower, n["b"]
  }' "$work/rounds"
