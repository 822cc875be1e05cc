#!/usr/bin/env bash
# Runs the scenario suite (performance.md S1–S7) against FastIo and the Node socket.io baseline, alternating,
# and prints a markdown table of medians and FastIo ÷ Node ratios. S7 (cross-node broadcast) needs redis-server.
#   bench/run.sh                 full run, pinned (server core 0, generator core 1; S7: both nodes on core 0,
#                                generator and redis-server on core 1), 3 runs each
#   bench/run.sh --quick         ~2-minute smoke run, 1 run each, small counts (CI: fails if a scenario breaks)
#   bench/run.sh --unpinned      no taskset for either side
#   extra flags go to the generator: --runs N, --only S1,S4, --servers fastio,node, --out FILE,
#   --server-env KEY=VALUE (servers otherwise run with their defaults; the generator's tuning is not passed on)
#   --fastio-args "--shards 1" (extra arguments for fastio bench)
set -euo pipefail
cd "$(dirname "$0")/.."

pinned=1
for arg in "$@"; do
  if [ "$arg" = "--unpinned" ]; then pinned=0; fi
done

(cd bench/node-baseline && npm ci --no-audit --no-fund --silent)
dotnet build src/Server -c Release -nologo -clp:ErrorsOnly -v q
dotnet build bench/FastIo.LoadGen -c Release -nologo -clp:ErrorsOnly -v q

# The micro-benchmarks, once each without timing, so a broken one shows up in the smoke run too.
for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then
    dotnet build bench/FastIo.Benchmarks -c Release -nologo -clp:ErrorsOnly -v q
    dotnet bench/FastIo.Benchmarks/bin/Release/net10.0/FastIo.Benchmarks.dll --smoke
  fi
done

# The generator completes socket operations on its epoll thread (no thread-pool hop) so it outruns the server
# on one core; the servers run with their own defaults.
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
loadgen=(dotnet bench/FastIo.LoadGen/bin/Release/net10.0/FastIo.LoadGen.dll suite)
if [ "$pinned" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  exec taskset -c 1 "${loadgen[@]}" "$@"
fi
exec "${loadgen[@]}" "$@"
