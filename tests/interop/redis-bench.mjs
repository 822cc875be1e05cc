// Rough cluster throughput: N clients on each of two servers, one trigger client on server A asks for K broadcasts
// ("broadcast" handler: io.emit to everyone), every client counts deliveries. Prints deliveries/s and the servers'
// CPU time per delivered message (from /proc/PID/stat). Usage: node redis-bench.mjs URL_A URL_B PID_A PID_B N K
import { io as connect } from "socket.io-client";
import { readFileSync } from "node:fs";

const [urlA, urlB, pidA, pidB, n, k] = process.argv.slice(2);
const perNode = Number(n), triggers = Number(k);
const ticks = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return Number(f[11]) + Number(f[12]); };
let delivered = 0;
const open = (url) => new Promise((resolve) => {
  const s = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  s.on("broadcast", () => { delivered++; });
  s.on("connect", () => resolve(s));
});
const clients = [];
for (let i = 0; i < perNode; i++) clients.push(await open(urlA), await open(urlB));
const trigger = clients[0];
await new Promise((r) => setTimeout(r, 500));
const expected = triggers * clients.length;
const cpu0 = ticks(pidA) + ticks(pidB);
const t0 = process.hrtime.bigint();
for (let i = 0; i < triggers; i++) trigger.emit("broadcast");
while (delivered < expected) {
  await new Promise((r) => setTimeout(r, 5));
  if (Number(process.hrtime.bigint() - t0) > 60e9) break;
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpuMs = (ticks(pidA) + ticks(pidB) - cpu0) * 10;
console.log(JSON.stringify({ clients: clients.length, triggers, delivered, expected, seconds: +seconds.toFixed(3),
  deliveriesPerSecond: Math.round(delivered / seconds), serverCpuMs: cpuMs, cpuMicrosPerDelivery: +(cpuMs * 1000 / delivered).toFixed(2) }));
for (const c of clients) c.close();
process.exit(0);
