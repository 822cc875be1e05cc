#!/usr/bin/env bash
# Rough Redis-cluster benchmark for the issue note: two FastIo nodes vs two Node socket.io nodes
# (@socket.io/redis-adapter 8.3), each pair on its own fresh redis-server; N clients per node, K broadcasts.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}; K=${2:-2000}
dotnet build src/Server -c Release -nologo -clp:ErrorsOnly >/dev/null
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_port() { for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 not up"; exit 1; }
run_pair() { # kind
  local r; r=$(port); redis-server --port "$r" --bind 127.0.0.1 --save '' --appendonly no >/dev/null & pids+=($!); wait_port "$r"
  local pa pb a b; pa=$(port); pb=$(port)
  if [ "$1" = fastio ]; then
    dotnet src/Server/bin/Release/net10.0/fastio.dll conformance --port "$pa" --host 127.0.0.1 --ping-interval 25000 --ping-timeout 20000 --redis "127.0.0.1:$r" >/dev/null & a=$!
    dotnet src/Server/bin/Release/net10.0/fastio.dll conformance --port "$pb" --host 127.0.0.1 --ping-interval 25000 --ping-timeout 20000 --redis "127.0.0.1:$r" >/dev/null & b=$!
  else
    (cd tests/interop && exec node redis-node.mjs "$pa" "$r" </dev/null >/dev/null) & a=$!
    (cd tests/interop && exec node redis-node.mjs "$pb" "$r" </dev/null >/dev/null) & b=$!
  fi
  pids+=("$a" "$b"); wait_port "$pa"; wait_port "$pb"; sleep 1
  echo -n "$1: "; (cd tests/interop && node redis-bench.mjs "http://127.0.0.1:$pa" "http://127.0.0.1:$pb" "$a" "$b" "$N" "$K")
}
run_pair fastio
run_pair node
