// The Node socket.io 4.8 baseline: exactly the handlers of `fastio bench` (src/Server/BenchApp.cs), so the load
// generator drives both servers with the same bytes. Defaults otherwise (pingInterval 25 s, no deflate).
// Run: node --expose-gc server.mjs --port 3001
import { Server } from "socket.io";

const portFlag = process.argv.indexOf("--port");
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 3001;
const io = new Server(port, { serveClient: false });

io.on("connection", (socket) => {
  // echo(data, ack): the ack carries the data back.
  socket.on("echo", (data, ack) => {
    if (typeof ack === "function") ack(data);
  });
  // broadcast(n, data, ack?): n emits of "b" to every other socket, then an ack once they are queued.
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
console.log(`node socket.io ${port} ready`);
