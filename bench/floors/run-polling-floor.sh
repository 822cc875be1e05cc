#!/usr/bin/env bash
# S6's floor: server CPU per long-polling ack of the cheapest server that answers S6's client (polling-floor.c),
# against `fastio bench` and Node socket.io, same client, same layout as the suite's pinned run: the server on core 0,
# `FastIo.LoadGen drive --workload poll` on core 1 (the loop and the table: floor-runner.sh).
#   bench/floors/run-polling-floor.sh [--runs 3] [--count 70000] [--warmup 20000] [--port 3700] [--spin NS]
# --spin NS adds a fourth server to each run: the floor with NS ns of busy user work per request (an experiment: how
# the kernel's part per ack falls when a server does more per request and so sleeps less often per ack).
set -euo pipefail
cd "$(dirname "$0")/../.."

floor=polling-floor
workload=poll
unit=ack
scenario="S6 workload"
runs=3
count=70000  # USER_HZ is 100: each measured phase must use well over a second of CPU for 10 ms ticks not to matter
warmup=20000 # as long as S6's (~2 s of acks)
port=3700    # four ports from here; the suite uses 3400 and up
spin=0
ready_status=200
ready_url="http://127.0.0.1:PORT/socket.io/?EIO=4&transport=polling"
ready_headers=()
source bench/floors/floor-runner.sh
floor_main "$@"
