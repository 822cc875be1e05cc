# The common part of the floors' runners (run-polling-floor.sh, run-ws-connect-floor.sh), sourced by them after they
# set:
#   floor         the floor's name: bench/floors/$floor.c, built with gcc -O2
#   workload      FastIo.LoadGen's `drive --workload` (poll, ws, echo)
#   unit          what one operation is, for the table ("ack", "connect")
#   scenario      the table's title ("S6 workload", ...)
#   runs count warmup port spin   defaults, changed by the options
#   ready_status  the HTTP status of ready_url (with ready_headers) once a server answers (the WebSocket floors:
#                 ready_when_websocket_upgrades, after sourcing this file)
# then call `floor_main "$@"`. For each of R runs, in turn C floor / FastIo / Node (and the floor with busy work when
# --spin is given and the floor takes it): a fresh server pinned to core 0, a warm-up drive (the JIT's tier-up,
# .NET's and Node's), then a drive of N operations on core 1 that reads the server's utime and stime from /proc.
# Prints each run, then a markdown table of medians with the ratios. Needs gcc, taskset, curl, dotnet, node (and npm
# once, for bench/node-baseline). Not part of CI (gcc may be missing).

# For the WebSocket floors: a server is ready once it answers an upgrade request with its 101.
ready_when_websocket_upgrades() {
  ready_status=101
  ready_url="http://127.0.0.1:PORT/socket.io/?EIO=4&transport=websocket"
  ready_headers=(--http1.1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==')
}

floor_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) runs="$2"; shift 2 ;;
      --count) count="$2"; shift 2 ;;
      --warmup) warmup="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      --spin) spin="$2"; shift 2 ;;
      *) echo "unknown option $1 (--runs R, --count N, --warmup N, --port P, --spin NS)" >&2; exit 2 ;;
    esac
  done
}

# The generator as in bench/run.sh: socket completions inline on its epoll thread, pinned to core 1. The servers run
# with their defaults (the variable is removed from their environment, as the suite does).
drive() {
  DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 taskset -c 1 \
    dotnet bench/FastIo.LoadGen/bin/Release/net10.0/FastIo.LoadGen.dll drive --workload "$workload" "$@"
}

# start KIND PORT: starts the server pinned to core 0 (taskset execs it: $! is the server's own pid), waits until it
# answers ready_url with ready_status.
start() {
  local kind=$1 p=$2
  case "$kind" in
    floor) env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS taskset -c 0 "$work/$floor" "$p" >"$work/$kind.log" 2>&1 & ;;
    spin) env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS taskset -c 0 "$work/$floor" "$p" "$spin" >"$work/$kind.log" 2>&1 & ;;
    fastio) env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS taskset -c 0 src/Server/bin/Release/net10.0/fastio bench --port "$p" --host 127.0.0.1 >"$work/$kind.log" 2>&1 & ;;
    node) env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS taskset -c 0 node --expose-gc bench/node-baseline/server.mjs --port "$p" >"$work/$kind.log" 2>&1 & ;;
  esac
  server_pid=$!
  for _ in $(seq 1 300); do
    # -m: a WebSocket upgrade stays open after its 101; the status is printed all the same
    if [ "$(curl -s -o /dev/null -m 0.3 -w '%{http_code}' "${ready_headers[@]}" "${ready_url/PORT/$p}" || true)" = "$ready_status" ]; then
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$kind exited at start:" >&2
      cat "$work/$kind.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$kind did not answer on port $p" >&2
  exit 1
}

# Context switches of the server so far, summed over its live threads: how often it went to sleep in epoll_wait (and
# was woken) or was preempted. Each sleep and wake-up costs kernel time billed to the server, so the kernel's share
# per operation depends on how many operations one wake-up serves (bench/floors/README.md).
switches() {
  cat /proc/"$server_pid"/task/*/status 2>/dev/null | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

stop() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
user_of() { # per-run user CPU: total - kernel, pairwise
  paste -d' ' <(tr ' ' '\n' <<<"$1" | grep -v '^$') <(tr ' ' '\n' <<<"$2" | grep -v '^$') | awk '{ printf "%.2f ", $1 - $2 }'
}
row() { # row NAME FORMAT A_RUNS B_RUNS C_RUNS: medians of the three columns and the ratios B÷C, A÷C, B÷A
  local name=$1 format=$2
  shift 2
  local a b c
  a=$(median "$1"); b=$(median "$2"); c=$(median "$3")
  awk -v name="$name" -v format="$format" -v a="$a" -v b="$b" -v c="$c" -v runs="$1/ $2/ $3" 'BEGIN {
    printf "| %s | " format " | " format " | " format " | %.2f× | %.2f× | %.2f× | %s |\n", name, a, b, c,
      (c > 0 ? b / c : 0), (c > 0 ? a / c : 0), (a > 0 ? b / a : 0), runs }'
}
table() { # table A B C "A name" "B name" "C name": the rows for three server kinds (columns A, B, C)
  echo "| figure | $4 | $5 | $6 | $5 ÷ $6 | $4 ÷ $6 | $5 ÷ $4 | runs ($4 / $5 / $6) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  row "server CPU per $unit (µs)" %.2f "${total[$1]}" "${total[$2]}" "${total[$3]}"
  row "… kernel (stime) per $unit (µs)" %.2f "${kernel[$1]}" "${kernel[$2]}" "${kernel[$3]}"
  row "… user per $unit (µs)" %.2f "$(user_of "${total[$1]}" "${kernel[$1]}")" "$(user_of "${total[$2]}" "${kernel[$2]}")" "$(user_of "${total[$3]}" "${kernel[$3]}")"
  row "server context switches per $unit" %.3f "${switched[$1]}" "${switched[$2]}" "${switched[$3]}"
  row "${unit}s/s (set by the generator, not a server figure)" %.0f "${rate[$1]}" "${rate[$2]}" "${rate[$3]}"
  if [ -n "${p50[$1]:-}" ]; then
    row "latency p50 (µs)" %.1f "${p50[$1]}" "${p50[$2]}" "${p50[$3]}"
    row "latency p99 (µs)" %.1f "${p99[$1]}" "${p99[$2]}" "${p99[$3]}"
  fi
}

floor_main() {
  floor_options "$@"
  work=$(mktemp -d /tmp/fastio-floor.XXXXXX)
  server_pid=
  trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

  gcc -O2 -Wall -Wextra -o "$work/$floor" "bench/floors/$floor.c"
  if [ ! -d bench/node-baseline/node_modules ]; then
    (cd bench/node-baseline && npm ci --no-audit --no-fund --silent)
  fi
  dotnet build src/Server -c Release -nologo -clp:ErrorsOnly -v q
  dotnet build bench/FastIo.LoadGen -c Release -nologo -clp:ErrorsOnly -v q

  local kinds=(floor fastio node)
  if [ "$spin" -gt 0 ]; then kinds+=(spin); fi
  declare -gA total kernel rate switched p50 p99
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local run i kind p before output line cs
  for run in $(seq 1 "$runs"); do
    for i in "${!kinds[@]}"; do
      kind=${kinds[$i]}
      p=$((port + i))
      start "$kind" "$p"
      # The warm-up: the measured phase must not include the JIT's tier-up (bench/RESULTS.md, "warm S2").
      drive --port "$p" --count "$warmup" >/dev/null
      before=$(switches)
      output=$(drive --port "$p" --count "$count" --pid "$server_pid")
      line=$(tail -n 1 <<<"$output")
      cs=$(awk -v a="$before" -v b="$(switches)" -v n="$count" 'BEGIN { printf "%.3f", (b - a) / n }')
      stop
      echo "run $run $kind: $line, $cs context switches per op"
      # "poll: N ops in T s (R/s), server CPU X µs per op, kernel Y µs per op"
      total[$kind]+="$(sed -E 's/.*server CPU ([0-9.]+) .*/\1/' <<<"$line") "
      kernel[$kind]+="$(sed -E 's/.*kernel ([0-9.]+) .*/\1/' <<<"$line") "
      rate[$kind]+="$(sed -E 's/.*\(([0-9]+)\/s\).*/\1/' <<<"$line") "
      switched[$kind]+="$cs "
      # The echo workload also prints "echo latency: p50 X µs, p90 Y µs, p99 Z µs, ..." before its CPU line.
      if grep -q '^echo latency:' <<<"$output"; then
        echo "  $(head -n 1 <<<"$output")"
        p50[$kind]+="$(head -n 1 <<<"$output" | sed -E 's/.*p50 ([0-9.]+) .*/\1/') "
        p99[$kind]+="$(head -n 1 <<<"$output" | sed -E 's/.* p99 ([0-9.]+) .*/\1/') "
      fi
    done
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

  echo
  echo "$scenario, $count ${unit}s per run after $warmup, median of $runs, pinned (server core 0, generator core 1), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  table floor fastio node "C floor" "FastIo" "Node"
  if [ "$spin" -gt 0 ]; then
    echo
    echo "floor + spin: the floor with $spin ns of busy user work per request"
    echo
    table floor spin fastio "C floor" "floor + spin" "FastIo"
  fi
}
