#!/usr/bin/env bash
# S2's WebSocket connect floor: server CPU per connect of the cheapest server that answers S2's client
# (ws-connect-floor.c), against `fastio bench` and Node socket.io, same client, same layout as the suite's pinned run:
# the server on core 0, `FastIo.LoadGen drive --workload ws` on core 1, in rounds of 2 000 open clients, the closes
# between rounds not counted (the loop and the table: floor-runner.sh).
#   bench/floors/run-ws-connect-floor.sh [--runs 5] [--count 24000] [--warmup 6000] [--port 3800]
set -euo pipefail
cd "$(dirname "$0")/../.."

floor=ws-connect-floor
workload=ws
unit=connect
scenario="S2 WebSocket connects"
runs=5
count=24000 # ~1 s of FastIo's CPU: /proc counts in 10 ms ticks
warmup=6000 # Node's JIT needs ~4 000 connects (bench/RESULTS.md, "warm S2")
port=3800   # three ports from here
spin=0      # the WebSocket floor takes no busy work
source bench/floors/floor-runner.sh
ready_when_websocket_upgrades
floor_main "$@"
