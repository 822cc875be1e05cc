// A Node.js socket.io 4.8 server with @socket.io/redis-adapter 8.3 (classic), the same multi-node handlers as
// FastIo's ConformanceApp, for the mixed-cluster tests. Usage: node redis-node.mjs PORT REDIS_PORT
// [sharded-MODE] uses createShardedAdapter with subscriptionMode MODE (static, dynamic, dynamic-private).
// Prints "ready" once listening and subscribed.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const [port, redisPort] = process.argv.slice(2, 4).map(Number);
const mode = process.argv[4] ?? "classic";
const pubClient = createClient({ url: `redis://127.0.0.1:${redisPort}` });
const subClient = pubClient.duplicate();
pubClient.on("error", () => {});
subClient.on("error", () => {});
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = createServer();
const adapter = mode.startsWith("sharded-")
  ? createShardedAdapter(pubClient, subClient, { subscriptionMode: mode.slice("sharded-".length) })
  : createAdapter(pubClient, subClient);
const io = new Server(httpServer, { adapter });

io.on("ping-srv", (...args) => {
  const cb = args[args.length - 1];
  if (typeof cb === "function") cb("pong");
});

async function remote(id) {
  const sockets = await io.in(id).fetchSockets();
  return sockets.length === 1 ? sockets[0] : null;
}

io.on("connection", (socket) => {
  const greeting = "hello from " + socket.id;
  socket.join(["room1", "room2", "room4", "room5"]);
  socket.on("broadcast", () => io.emit("broadcast", greeting));
  socket.on("broadcast_to_room", (room) => io.to(room).emit("broadcast_to_room", greeting));
  socket.on("broadcast_with_ack", async (cb) => {
    const replies = await io.timeout(5000).emitWithAck("broadcast_with_ack", null);
    cb(replies);
  });
  socket.on("fetch_sockets", async (cb) => {
    const sockets = await io.fetchSockets();
    cb(sockets.map((s) => ({ id: s.id, ns: "/" })));
  });
  socket.on("server_side_emit_with_ack", async (cb) => {
    cb(await io.serverSideEmitWithAck("ping-srv"));
  });
  socket.on("rooms", async (cb) => cb([...(await io.of("/").adapter.allRooms())]));
  socket.on("disconnect_socket", () => io.disconnectSockets());
  socket.on("join_room", (cb) => { io.socketsJoin("room7"); cb(); });
  socket.on("leave_room", (cb) => { io.socketsLeave("room4"); cb(); });
  socket.on("emit_from_remote_sock", async (id, cb) => { (await remote(id))?.emit("emit", greeting); cb(); });
  socket.on("emit_with_ack_from_remote_sock", async (id, cb) => {
    const target = await remote(id);
    cb(target ? await target.timeout(5000).emitWithAck("emit", greeting) : null);
  });
  socket.on("join_room_from_remote_sock", async (id, cb) => { (await remote(id))?.join(greeting); cb(); });
  socket.on("leave_room_from_remote_sock", async (id, cb) => { (await remote(id))?.leave("room4"); cb(); });
  socket.on("get_rooms_remote_sock", async (id, cb) => { const t = await remote(id); cb(t ? [...t.rooms] : []); });
  socket.on("disconnect_remote_sock", async (id, cb) => { (await remote(id))?.disconnect(); cb(); });
});

httpServer.listen(port, "127.0.0.1", () => console.log("ready"));
