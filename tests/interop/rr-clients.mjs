// Real socket.io-client sockets talking to `fastio serve --forward` nodes through a round-robin balancer with no
// stickiness at all: every request may reach any node, and the nodes forward it to the session's owner.
// Usage: node rr-clients.mjs URL POLLING DEFAULT MESSAGES
//   POLLING clients use transports ["polling"], DEFAULT ones polling then the upgrade (which may land on any node).
// Every client joins the room "everyone"; a phase is every client sending MESSAGES acknowledged emits to that room
// through ServeApp's relay, one after the other; every other client must receive each of them, in order.
// Prints "ready", then {"phase":1,...}; then reads one JSON command on stdin: {"victims":[sid...]} waits until
// every client is connected again and those (whose node was killed) have a new sid, runs a phase of MESSAGES / 10
// and prints {"phase":2,...}; {"close":true} skips that. Then closes every client, prints "closed" and exits 0.
// Verdicts are the test's: the reports carry what each client saw.
import http from "node:http";
import readline from "node:readline";
import { io as connect } from "socket.io-client";

const [url, polling, defaults, messageCount] = process.argv.slice(2);
const kinds = [...Array(Number(polling)).fill("polling"), ...Array(Number(defaults)).fill("default")];
const messages = Number(messageCount);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
  return cond();
}
console.log("ready");

const clients = kinds.map((kind, index) => {
  const options = {
    forceNew: true,
    // No keep-alive, as in lb-clients.mjs: the Node client's XHR shim never ends its retry on a reset reused socket.
    agent: new http.Agent({ keepAlive: false }),
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    timeout: 10000,
  };
  if (kind !== "default") options.transports = [kind];
  const socket = connect(url, options);
  const c = { index, kind, socket, connects: 0, disconnects: [], errors: [], joinedSid: null, phase: 0, got: new Map(), outOfOrder: 0 };
  socket.io.on("open", () => socket.io.engine.on("upgradeError", (e) => c.errors.push("upgradeError: " + e.message)));
  socket.on("connect", async () => {
    c.connects++;
    const sid = socket.io.engine.id;
    try {
      await socket.timeout(8000).emitWithAck("join", "everyone");
      if (socket.io.engine.id === sid) c.joinedSid = sid;
    } catch (e) { c.errors.push("join: " + e.message); }
  });
  socket.on("disconnect", (reason) => c.disconnects.push(reason));
  socket.on("connect_error", (e) => c.errors.push("connect_error: " + e.message));
  socket.on("msg", (m) => {
    if (m.phase !== c.phase) return;
    const last = c.got.get(m.from) ?? -1;
    if (m.n !== last + 1) c.outOfOrder++;
    c.got.set(m.from, Math.max(last, m.n));
  });
  return c;
});

const sid = (c) => (c.socket.connected ? c.socket.io.engine.id : null);
const transport = (c) => c.socket.io.engine?.transport?.name ?? null;
const settled = (c) => c.socket.connected && c.joinedSid === sid(c) && (c.kind === "polling" || transport(c) === "websocket");
// Every other client's last message of the phase arrived.
const complete = (c, count) => clients.every((o) => o === c || c.got.get(o.index) === count - 1);

async function phase(p, count) {
  for (const c of clients) { c.phase = p; c.got = new Map(); c.outOfOrder = 0; }
  await Promise.all(clients.map(async (c) => {
    for (let n = 0; n < count; n++) {
      try {
        const ack = await c.socket.timeout(10000).emitWithAck("emit", "everyone", "msg", { phase: p, from: c.index, n });
        if (!ack?.ok) c.errors.push(`emit ${p}/${n}: ${JSON.stringify(ack)}`);
      } catch (e) { c.errors.push(`emit ${p}/${n}: ${e.message}`); }
    }
  }));
  return until(() => clients.every((c) => complete(c, count)), 20000);
}

function report(p, settledInTime, delivered, started) {
  console.log(JSON.stringify({
    phase: p, settled: settledInTime, delivered, ms: Date.now() - started,
    clients: clients.map((c) => ({
      index: c.index, kind: c.kind, sid: sid(c), transport: transport(c), connects: c.connects,
      disconnects: c.disconnects, errors: c.errors, outOfOrder: c.outOfOrder,
      received: [...c.got.values()].reduce((a, n) => a + n + 1, 0),
    })),
  }));
}

let started = Date.now();
let ok = await until(() => clients.every(settled), 20000);
report(1, ok, ok && (await phase(1, messages)), started);
const firstSids = new Map(clients.map((c) => [c, sid(c)]));

const command = JSON.parse((await readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]().next()).value);
if (command.victims) {
  started = Date.now();
  const victims = clients.filter((c) => command.victims.includes(firstSids.get(c)));
  ok = await until(() => clients.every(settled) && victims.every((c) => sid(c) !== firstSids.get(c)), 25000);
  report(2, ok, ok && (await phase(2, Math.max(1, Math.floor(messages / 10)))), started);
}

for (const c of clients) c.socket.close();
await sleep(300);
console.log("closed");
process.exit(0);
