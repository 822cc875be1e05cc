#!/usr/bin/env bash
# S3's echo floor: latency and server CPU per ack at a fixed 10 000 echoes per second (100 WebSocket clients, open
# loop) of the cheapest server that answers S3's client (ws-connect-floor.c, which also acks `echo`), against
# `fastio bench` and Node socket.io, same client, same layout as the suite's pinned run: the server on core 0,
# `FastIo.LoadGen drive --workload echo` on core 1 (the loop and the table: floor-runner.sh). What the floor's p50 is,
# no server's can be much below: it is the generator's and the kernel's round trip.
#   bench/floors/run-echo-floor.sh [--runs 3] [--count 100000] [--warmup 20000] [--port 3900]
set -euo pipefail
cd "$(dirname "$0")/../.."

floor=ws-connect-floor
workload=echo
unit=ack
scenario="S3 echo at 10 000 acks/s"
runs=3
count=100000 # 10 s at 10 000/s, as the suite's S3
warmup=20000 # plus the drive's own 2 s: the JIT's tier-up, .NET's and Node's
port=3900    # three ports from here
spin=0
source bench/floors/floor-runner.sh
ready_when_websocket_upgrades
floor_main "$@"
