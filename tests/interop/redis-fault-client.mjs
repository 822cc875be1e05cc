// Redis goes away and comes back during traffic in a mixed cluster. Usage: node redis-fault-client.mjs REDIS_PORT URL_A URL_B
// Checks cross-node broadcasts, shuts Redis down (SHUTDOWN NOSAVE; the test restarts it 2 s later), checks local
// delivery meanwhile, then keeps broadcasting until both nodes reach each other again. Prints one JSON line.
import { io as connect } from "socket.io-client";
import { createClient } from "redis";

const [redisPort, ...urls] = process.argv.slice(2);
const failures = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
  return cond();
}
const open = (url) => new Promise((resolve, reject) => {
  const s = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  s.greetings = [];
  s.on("broadcast", (g) => s.greetings.push(g));
  s.on("connect", () => resolve(s));
  s.on("connect_error", reject);
});
const [a, b] = [await open(urls[0]), await open(urls[1])];
const hasFrom = (c, other) => c.greetings.includes("hello from " + other.id);

a.emit("broadcast"); b.emit("broadcast");
if (!(await until(() => hasFrom(a, b) && hasFrom(b, a), 3000))) failures.push("no cross-node broadcast before the restart");

const admin = createClient({ url: `redis://127.0.0.1:${redisPort}` });
admin.on("error", () => {});
await admin.connect();
try { await admin.sendCommand(["SHUTDOWN", "NOSAVE"]); } catch { /* the connection drops: expected */ }
await sleep(300);
a.greetings = []; b.greetings = [];
a.emit("broadcast"); b.emit("broadcast");
if (!(await until(() => hasFrom(a, a) && hasFrom(b, b), 1500))) failures.push(`local delivery while Redis is down: ${a.greetings.length}/${b.greetings.length}`);

const start = Date.now();
let recovered = false;
while (Date.now() - start < 30000) {
  a.greetings = []; b.greetings = [];
  a.emit("broadcast"); b.emit("broadcast");
  if (await until(() => hasFrom(a, b) && hasFrom(b, a), 500)) { recovered = true; break; }
}
if (!recovered) failures.push("no cross-node broadcast within 30 s of the restart");
a.close(); b.close();
console.log(JSON.stringify({ ok: failures.length === 0, failures, recoveredAfterMs: Date.now() - start }));
process.exit(0);
