// The Node socket.io 4.8 baseline: exactly the handlers of `fastio bench` (src/Server/BenchApp.cs), so the load
// generator drives both servers with the same bytes. Defaults otherwise (pingInterval 25 s, no deflate).
// Run: node --expose-gc server.mjs --port 3001 [--redis 6379]
// --redis PORT: a cluster node sharing the redis-server on 127.0.0.1:PORT through @socket.io/redis-adapter 8.3
// (classic pub/sub, as `fastio bench --redis`), for the cross-node broadcast scenario S7.
import { Server } from "socket.io";

function flag(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

const port = flag("--port") ?? 3001;
const redisPort = flag("--redis");
const options = { serveClient: false };
if (redisPort !== undefined) {
  // Imported only here so the single-node scenarios load exactly what they did before the Redis adapter.
  const { createAdapter } = await import("@socket.io/redis-adapter");
  const { createClient } = await import("redis");
  const pubClient = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  const subClient = pubClient.duplicate();
  // A lost Redis connection shows up as missing deliveries in the generator; the log keeps the reason.
  pubClient.on("error", (e) => console.error("redis pub:", e.message));
  subClient.on("error", (e) => console.error("redis sub:", e.message));
  await Promise.all([pubClient.connect(), subClient.connect()]);
  options.adapter = createAdapter(pubClient, subClient);
}

const io = new Server(port, options);

io.on("connection", (socket) => {
  // echo(data, ack): the ack carries the data back.
  socket.on("echo", (data, ack) => {
    if (typeof ack === "function") ack(data);
  });
  // broadcast(n, data, ack?): n emits of "b" to every other socket (of the cluster, with --redis), then an ack once
  // they are queued.
  socket.on("broadcast", (n, data, ack) => {
    for (let i = 0; i < n; i++) socket.broadcast.emit("b", data);
    if (typeof ack === "function") ack();
  });
  // stats(ack): full collection (needs --expose-gc), then the heap in use, for the idle-memory scenario.
  socket.on("stats", (ack) => {
    if (global.gc) global.gc();
    if (typeof ack === "function") ack(process.memoryUsage().heapUsed);
  });
});

// Graceful stop so the runner's SIGTERM does not leave a half-written log.
process.on("SIGTERM", () => process.exit(0));
console.log(`node socket.io ${port}${redisPort !== undefined ? ` redis ${redisPort}` : ""} ready`);
