// Drives socket.io-client sockets spread over the nodes of a mixed cluster and checks every cross-node operation.
// Usage: node redis-cluster-client.mjs REDIS_PORT URL_A URL_B URL_C [sharded]
// sharded: no allRooms (the sharded adapter has none) and no emitter (it cannot reach sharded pub/sub).
// Prints one JSON line: {"ok":true,...} or {"ok":false,"failures":[...]}.
import { io as connect } from "socket.io-client";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";

const [redisPort, ...rest] = process.argv.slice(2);
const sharded = rest[3] === "sharded";
const urls = rest.slice(0, 3);
const failures = [];
const check = (cond, what) => { if (!cond) failures.push(what); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(url) {
  const socket = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  socket.events = [];
  socket.onAny((event, ...args) => socket.events.push([event, ...args]));
  socket.on("broadcast_with_ack", (_x, cb) => cb(socket.id));
  socket.on("emit", (_x, cb) => { if (typeof cb === "function") cb("ack from " + socket.id); });
  return new Promise((resolve, reject) => {
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", reject);
  });
}

const ask = (socket, event, ...args) => socket.timeout(8000).emitWithAck(event, ...args);
const received = (socket, event) => socket.events.filter((e) => e[0] === event);
async function until(cond, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
  return cond();
}

const redis = createClient({ url: `redis://127.0.0.1:${redisPort}` });
const clients = [];
for (const url of urls) clients.push(await open(url));
const ids = clients.map((c) => c.id);
const names = ["A", "B", "C"];
await sleep(200);

// 1. A broadcast from each node reaches every client.
for (const c of clients) c.emit("broadcast");
check(await until(() => clients.every((c) => received(c, "broadcast").length === 3)),
  "broadcast: " + clients.map((c) => received(c, "broadcast").length).join(","));
for (const c of clients) {
  for (const from of ids) check(received(c, "broadcast").some((e) => e[1] === "hello from " + from), `broadcast from ${from} missing on ${c.id}`);
}

// 2. Acked broadcasts from each node gather every client's ack.
for (let i = 0; i < clients.length; i++) {
  try {
    const replies = await ask(clients[i], "broadcast_with_ack");
    check(Array.isArray(replies) && [...replies].sort().join() === [...ids].sort().join(), `broadcast_with_ack from ${names[i]}: ${JSON.stringify(replies)}`);
  } catch (e) { failures.push(`broadcast_with_ack from ${names[i]}: ${e.message}`); }
}

// 3. fetchSockets and allRooms see the whole cluster from each node.
for (let i = 0; i < clients.length; i++) {
  try {
    const sockets = await ask(clients[i], "fetch_sockets");
    check(sockets.map((s) => s.id).sort().join() === [...ids].sort().join(), `fetch_sockets from ${names[i]}: ${JSON.stringify(sockets)}`);
    if (!sharded) {
      const rooms = await ask(clients[i], "rooms");
      check(ids.every((id) => rooms.includes(id)) && rooms.includes("room1"), `rooms from ${names[i]}: ${JSON.stringify(rooms)}`);
    }
  } catch (e) { failures.push(`fetch/rooms from ${names[i]}: ${e.message}`); }
}

// 4. serverSideEmit with acks: every other server answers.
for (let i = 0; i < clients.length; i++) {
  try {
    const replies = await ask(clients[i], "server_side_emit_with_ack");
    check(JSON.stringify(replies) === JSON.stringify(["pong", "pong"]), `server_side_emit_with_ack from ${names[i]}: ${JSON.stringify(replies)}`);
  } catch (e) { failures.push(`server_side_emit_with_ack from ${names[i]}: ${e.message}`); }
}

// 5. Remote-socket operations across node boundaries, both ways (each node acts on the next node's socket).
for (let i = 0; i < clients.length; i++) {
  const actor = clients[i], target = clients[(i + 1) % 3], tid = target.id;
  const tag = `${names[i]}->${names[(i + 1) % 3]}`;
  try {
    await ask(actor, "emit_from_remote_sock", tid);
    check(await until(() => received(target, "emit").some((e) => e[1] === "hello from " + actor.id)), `remote emit ${tag}`);
    const ack = await ask(actor, "emit_with_ack_from_remote_sock", tid);
    check(ack === "ack from " + tid, `remote emit with ack ${tag}: ${JSON.stringify(ack)}`);
    await ask(actor, "join_room_from_remote_sock", tid);
    await sleep(150);
    let rooms = await ask(clients[(i + 2) % 3], "get_rooms_remote_sock", tid);
    check(rooms.includes("hello from " + actor.id), `remote join ${tag}: ${JSON.stringify(rooms)}`);
    await ask(actor, "leave_room_from_remote_sock", tid);
    await sleep(150);
    rooms = await ask(actor, "get_rooms_remote_sock", tid);
    check(!rooms.includes("room4") && rooms.includes("room1"), `remote leave ${tag}: ${JSON.stringify(rooms)}`);
  } catch (e) { failures.push(`remote ${tag}: ${e.message}`); }
}

// 6. socketsJoin / socketsLeave from one node act on every node.
try {
  await ask(clients[2], "join_room");
  await sleep(200);
  if (!sharded) {
    const rooms = await ask(clients[0], "rooms");
    check(rooms.includes("room7"), "socketsJoin: " + JSON.stringify(rooms));
  }
  for (let i = 0; i < clients.length; i++) {
    const own = await ask(clients[(i + 1) % 3], "get_rooms_remote_sock", ids[i]);
    check(own.includes("room7"), `socketsJoin reached ${names[i]}: ${JSON.stringify(own)}`);
  }
} catch (e) { failures.push("socketsJoin: " + e.message); }

// 6b. A one-room broadcast from each node (a room channel in the classic and dynamic sharded modes).
for (const c of clients) c.emit("broadcast_to_room", "room1");
check(await until(() => clients.every((c) => received(c, "broadcast_to_room").length === 3)),
  "broadcast_to_room: " + clients.map((c) => received(c, "broadcast_to_room").length).join(","));

if (!sharded) {
// 7. The Node emitter reaches every node; so does the FastIo emitter (asked through a FastIo node's handler).
await redis.connect();
const emitter = new Emitter(redis);
emitter.emit("from-node-emitter", 1, Buffer.from([1, 2, 3]));
emitter.to("room7").emit("to-room7", "x");
check(await until(() => clients.every((c) => received(c, "from-node-emitter").length === 1 && received(c, "to-room7").length === 1)),
  "node emitter: " + clients.map((c) => received(c, "from-node-emitter").length + "/" + received(c, "to-room7").length).join(","));
for (const c of clients) {
  const e = received(c, "from-node-emitter")[0];
  check(e && e[1] === 1 && Buffer.from(e[2]).equals(Buffer.from([1, 2, 3])), "node emitter binary on " + c.id);
}
clients[0].emit("dotnet_emitter");
check(await until(() => clients.every((c) => received(c, "from-dotnet-emitter").length === 1)),
  "dotnet emitter: " + clients.map((c) => received(c, "from-dotnet-emitter").length).join(","));
for (const c of clients) {
  const e = received(c, "from-dotnet-emitter")[0];
  check(e && e[1] === "hi" && Buffer.from(e[2]).equals(Buffer.from([4, 5])), "dotnet emitter binary on " + c.id + ": " + JSON.stringify(e));
}
emitter.socketsLeave("room7");
await sleep(200);
try {
  const rooms = await ask(clients[1], "rooms");
  check(!rooms.includes("room7"), "emitter socketsLeave: " + JSON.stringify(rooms));
} catch (e) { failures.push("emitter socketsLeave: " + e.message); }
}

// 8. disconnectSockets from one node disconnects every client.
const disconnected = clients.map((c) => new Promise((r) => c.on("disconnect", () => r(true))));
clients[1].emit("disconnect_socket");
const all = await Promise.race([Promise.all(disconnected), sleep(3000).then(() => false)]);
check(all, "disconnectSockets: " + clients.map((c) => c.connected).join(","));

if (redis.isOpen) await redis.quit();
for (const c of clients) c.close();
console.log(JSON.stringify({ ok: failures.length === 0, failures }));
process.exit(0);
