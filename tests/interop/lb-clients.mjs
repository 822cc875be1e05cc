// Real socket.io-client sockets talking to `fastio serve` nodes through a load balancer (docs/deploy.md).
// Usage: node lb-clients.mjs URL POLLING DEFAULT WEBSOCKET [MESSAGES]
//   POLLING clients use transports ["polling"], DEFAULT ones polling then the upgrade, WEBSOCKET ones ["websocket"].
//   MESSAGES (default 1): how many "hello"s each client sends in round 1, one after the other, each acknowledged
//   (round 2 sends a tenth of them, at least one); every other client must receive each of them, in order.
// Client i connects from its own loopback address 127.0.0.(10+i), so a balancer that hashes the client address
// (nginx `hash $remote_addr consistent`) spreads them over the nodes as it would spread real users. Every client
// sends cookies (withCredentials), as a browser does for its own origin, so cookie stickiness (HAProxy) works.
// Every client joins the room "everyone" on each connect; a round is every client emitting "hello" to that room
// through ServeApp's relay, which the others receive wherever their node is (Redis joins the nodes).
// Prints "ready", then {"phase":1,...} once everyone is connected and round 1 is delivered, then reads one JSON
// command on stdin: {"victims":[sid...]} waits until those clients (whose node was stopped) are connected again
// under a new sid, runs round 2 and prints {"phase":2,...}; {"done":true} skips that. Then closes every client,
// prints "closed" and exits 0. Verdicts are the test's: the reports carry what each client saw.
import http from "node:http";
import readline from "node:readline";
import { io as connect } from "socket.io-client";

const [url, polling, defaults, websocket, messageCount] = process.argv.slice(2);
const messages = Number(messageCount ?? 1);
const kinds = [
  ...Array(Number(polling)).fill("polling"),
  ...Array(Number(defaults)).fill("default"),
  ...Array(Number(websocket)).fill("websocket"),
];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
  return cond();
}
console.log("ready");

const clients = kinds.map((kind, index) => {
  const localAddress = `127.0.0.${10 + index}`;
  const options = {
    forceNew: true,
    withCredentials: true,
    // No keep-alive (engine.io-client's default in Node, agent: false): xmlhttprequest-ssl 2.1.2 answers an
    // ECONNRESET on a reused socket with a retry it never ends (no request.end()), so a polling client whose
    // keep-alive connection a balancer closes without a response (HAProxy does, when the node behind it dies) would
    // hang instead of reconnecting. Browsers retry properly; this is only the Node client's.
    agent: new http.Agent({ keepAlive: false, localAddress }),
    localAddress,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    timeout: 10000,
  };
  if (kind !== "default") options.transports = [kind];
  const socket = connect(url, options);
  const c = { index, kind, socket, connects: 0, disconnects: [], errors: [], joinedSid: null, got: { 1: new Map(), 2: new Map() }, outOfOrder: 0 };
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
  // Per round, the last message number received from each sender; a gap or a repeat counts as out of order.
  socket.on("hello", (m) => {
    const got = c.got[m.round];
    if (!got) return;
    const last = got.get(m.from) ?? -1;
    if ((m.n ?? 0) !== last + 1) c.outOfOrder++;
    got.set(m.from, Math.max(last, m.n ?? 0));
  });
  return c;
});

const sid = (c) => (c.socket.connected ? c.socket.io.engine.id : null);
const transport = (c) => c.socket.io.engine?.transport?.name ?? null;
// Connected, in the room under its current session, and on its final transport.
const settled = (c) => c.socket.connected && c.joinedSid === sid(c) && (c.kind === "polling" || transport(c) === "websocket");

async function round(n, count) {
  await Promise.all(clients.map(async (c) => {
    for (let i = 0; i < count; i++) {
      try {
        const ack = await c.socket.timeout(8000).emitWithAck("emit", "everyone", "hello", { round: n, from: c.index, n: i });
        if (!ack?.ok) c.errors.push(`emit round ${n}: ${JSON.stringify(ack)}`);
      } catch (e) { c.errors.push(`emit round ${n}: ${e.message}`); }
    }
  }));
  const complete = (c) => c.got[n].size === clients.length - 1 && [...c.got[n].values()].every((last) => last === count - 1);
  return until(() => clients.every(complete), 10000 + 20 * count);
}

// Messages received in a round, all senders together.
const received = (c, phase) => [...c.got[phase].values()].reduce((sum, last) => sum + last + 1, 0);

function report(phase, settledInTime, delivered, started) {
  console.log(JSON.stringify({
    phase, settled: settledInTime, delivered, ms: Date.now() - started,
    clients: clients.map((c) => ({
      index: c.index, kind: c.kind, sid: sid(c), transport: transport(c), connects: c.connects,
      disconnects: c.disconnects, errors: c.errors, received: received(c, phase), outOfOrder: c.outOfOrder,
    })),
  }));
}

let started = Date.now();
let ok = await until(() => clients.every(settled), 20000);
report(1, ok, ok && (await round(1, messages)), started);
const firstSids = new Map(clients.map((c) => [c, sid(c)]));

const command = JSON.parse((await readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]().next()).value);
if (command.victims) {
  started = Date.now();
  const victims = clients.filter((c) => command.victims.includes(firstSids.get(c)));
  ok = await until(() => clients.every(settled) && victims.every((c) => sid(c) !== firstSids.get(c)), 25000);
  report(2, ok, ok && (await round(2, Math.max(1, Math.floor(messages / 10)))), started);
}

for (const c of clients) c.socket.close();
await sleep(300);
console.log("closed");
process.exit(0);
