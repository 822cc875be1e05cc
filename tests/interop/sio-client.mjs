// Drives the official socket.io-client (4.8) against a FastIo Socket.IO server set up by the NUnit fixture that
// runs this script. Usage: node sio-client.mjs <scenario> <http://host:port> [argument] [json|msgpack]
// Prints one JSON line with what it observed and exits 0, or prints the failure and exits 1. Assertions on
// values live in the C# tests; this script only fails on what it cannot go on without (no connection, no reply).
import { io, Manager } from "socket.io-client";
import WebSocket from "ws";
import msgpackParser from "socket.io-msgpack-parser";

const [scenario, base, arg, parserName] = process.argv.slice(2);
// socket.io-msgpack-parser when the server runs the msgpack parser too; the default JSON parser otherwise
const parserOptions = parserName === "msgpack" ? { parser: msgpackParser } : {};
const deadline = setTimeout(() => fail("timed out"), 20000);

let stage = null; // where a scenario is, for the timeout message

function fail(message) {
  console.log(JSON.stringify({ ok: false, scenario, message, stage }));
  process.exit(1);
}

function done(result) {
  clearTimeout(deadline);
  console.log(JSON.stringify({ ok: true, scenario, ...result }));
  process.exit(0);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function next(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

/** The client options for a transport argument: "default" (polling then upgrade), "websocket" or "polling". */
function transportOptions(transport) {
  if (transport === "websocket") return { transports: ["websocket"] };
  if (transport === "polling") return { transports: ["polling"] };
  return {};
}

/** Connects and resolves once connected; rejects on connect_error. With "default", also waits for the upgrade. */
async function connect(nsp, options = {}, transport = "websocket") {
  const socket = io(base + nsp, { forceNew: true, reconnection: false, ...transportOptions(transport), ...parserOptions, ...options });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (e) => reject(new Error("connect_error: " + e.message)));
  });
  if (transport === "default" && socket.io.engine.transport.name === "polling") {
    await next(socket.io.engine, "upgrade");
  }
  return socket;
}

/** Resolves with the connect_error of a connection that must be refused. */
function refused(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => reject(new Error("connected but should have been refused")));
    socket.once("connect_error", resolve);
  });
}

/** Disconnects and waits until the Engine.IO connection has closed, so the DISCONNECT packet left the process. */
async function disconnectAndDrain(socket) {
  const engine = socket.io.engine;
  const closed = next(engine, "close");
  socket.disconnect();
  await closed;
  await sleep(50);
}

/** What the C# side can compare: Buffers as {bin: [bytes]} (or {len, sum} when long), everything else as is. */
function describe(value) {
  if (value instanceof ArrayBuffer) value = Buffer.from(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const bytes = [...value];
    return bytes.length <= 16 ? { bin: bytes } : { len: bytes.length, sum: bytes.reduce((a, b) => a + b, 0) };
  }
  if (Array.isArray(value)) return value.map(describe);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describe(v)]));
  }
  return value;
}

const bytes = (n, f = (i) => i % 256) => Buffer.from(Array.from({ length: n }, (_, i) => f(i)));

const scenarios = {
  /** Connect, emit/receive, ack, handshake data, then a client-side disconnect. */
  async basic() {
    const socket = await connect("/", {
      auth: { token: "abc", n: 7 },
      query: { color: "blue", "x y": "a&b" },
      extraHeaders: { "x-fastio-test": "hello" },
    }, arg);
    const echoed = next(socket, "echo-back");
    socket.emit("echo", 1, "two", { three: [true, null] });
    const echo = await echoed;
    const whoami = await socket.emitWithAck("whoami");
    const result = { id: socket.id, transport: socket.io.engine.transport.name, echo, whoami };
    await disconnectAndDrain(socket);
    return result;
  },

  /** Acknowledgements both ways with several arguments, and timeouts both ways. */
  async acks() {
    const socket = await connect("/", {}, arg);
    socket.on("question", (...args) => {
      const cb = args.pop();
      cb(args.length, ...args.reverse());
    });
    socket.on("ignore-me", () => { /* never acknowledges */ });
    const sumFirst = await socket.emitWithAck("sum", 1, 2, 3, "x");
    const sumAll = await new Promise((resolve) => socket.emit("sum", 1, 2, 3, "x", (...a) => resolve(a)));
    const asked = await socket.emitWithAck("ask");
    let clientTimeout = null;
    const started = Date.now();
    try {
      await socket.timeout(100).emitWithAck("never-acks", 1);
    } catch (e) {
      clientTimeout = { message: e.message, ms: Date.now() - started };
    }
    const serverTimeout = await socket.emitWithAck("ask-timeout");
    const id = socket.id;
    socket.disconnect();
    return { id, sumFirst, sumAll, asked, clientTimeout, serverTimeout };
  },

  /**
   * Traffic in both directions while the transport upgrades from polling to WebSocket: nothing lost, nothing
   * reordered. The server streams numbered events (pausing now and then); the client sends numbered ticks.
   */
  async upgradeBurst() {
    const socket = io(base, { forceNew: true, reconnection: false, ...parserOptions });
    const received = [];
    socket.on("n", (i) => received.push(i));
    const startedOn = await new Promise((resolve) => socket.io.on("open", () => resolve(socket.io.engine.transport.name)));
    const upgraded = next(socket.io.engine, "upgrade");
    await next(socket, "connect");
    const streamed = socket.emitWithAck("stream", 400);
    for (let i = 0; i < 300; i++) {
      socket.emit("tick", i);
      if (i % 30 === 0) await sleep(5);
    }
    stage = "upgrade";
    await upgraded;
    stage = "ticks-seen";
    const ticks = await socket.emitWithAck("ticks-seen");
    stage = "stream ack";
    await streamed;
    stage = "stream events";
    while (received.length < 400) await sleep(10);
    const inOrder = received.every((v, i) => v === i);
    socket.disconnect();
    return { startedOn, endedOn: socket.io.engine?.transport?.name ?? "websocket", received: received.length, inOrder, ticks };
  },

  /** Binary arguments both ways, at the top level and nested, several per packet, and in acknowledgements. */
  async binary() {
    const socket = await connect("/", {}, arg);
    socket.on("give-binary", (...args) => {
      const cb = args.pop();
      cb(bytes(300, (i) => (i * 7) % 256), { inner: bytes(3, (i) => 100 + i) });
    });
    const received = next(socket, "binary-event");
    socket.emit("send-binary");
    const binaryEvent = describe(await received);
    const upload = await socket.emitWithAck("upload",
      bytes(4, (i) => i + 1),
      { nested: { data: bytes(256) }, list: [Buffer.from([9]), "txt"] },
      bytes(70000, (i) => i % 7));
    const echoed = next(socket, "echo-back");
    socket.emit("echo", Buffer.from([1, 2]), { a: [Buffer.from([3]), { b: Buffer.from([4, 5]) }] }, "plain");
    const echo = describe(await echoed);
    const ackBinary = describe(await new Promise((resolve) => socket.emit("ack-binary", (...a) => resolve(a))));
    const asked = await socket.emitWithAck("ask-binary");
    socket.disconnect();
    return { id: socket.id, binaryEvent, upload: describe(upload), echo, ackBinary, asked: describe(asked) };
  },

  /** Two namespaces over one Manager (one Engine.IO session), a dynamic namespace, an unknown one. */
  async namespaces() {
    const manager = new Manager(base, { transports: ["websocket"], reconnection: false });
    const a = manager.socket("/a");
    const b = manager.socket("/b");
    await Promise.all([next(a, "connect"), next(b, "connect")]);
    const fromA = await a.emitWithAck("where");
    const fromB = await b.emitWithAck("where");
    const dyn = await connect("/dyn-12");
    const fromDyn = await dyn.emitWithAck("where");
    const other = io(base + "/other", { forceNew: true, reconnection: false, transports: ["websocket"] });
    const otherError = await refused(other);
    const result = {
      aId: a.id, bId: b.id, engineId: manager.engine.id, fromA, fromB, fromDyn,
      otherError: { message: otherError.message, data: otherError.data ?? null },
    };
    a.disconnect();
    b.disconnect();
    dyn.disconnect();
    other.close();
    return result;
  },

  /**
   * Three namespaces over one session: the client leaves /a, the server disconnects /b, then closes the whole
   * connection from "/"; the others keep working after each step.
   */
  async multiplexDisconnect() {
    const manager = new Manager(base, { reconnection: false, ...transportOptions(arg) });
    const [a, b, main] = ["/a", "/b", "/"].map((n) => manager.socket(n));
    await Promise.all([a, b, main].map((s) => next(s, "connect")));
    const ids = { a: a.id, b: b.id, main: main.id };
    const engineId = manager.engine.id;
    a.disconnect();
    const bAfterA = await b.emitWithAck("where");
    const bGone = next(b, "disconnect");
    b.emit("kick-me");
    const [bReason] = await bGone;
    const mainAfterB = await main.emitWithAck("where");
    const mainGone = next(main, "disconnect");
    main.emit("kick-me-hard");
    const [mainReason] = await mainGone;
    return { ids, engineId, bAfterA, bReason, mainAfterB, mainReason };
  },

  /** Namespace middleware: refused with a message and data, or accepted on the right token. */
  async middleware() {
    const bad = io(base + "/private", { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token: "bad" } });
    const error = await refused(bad);
    bad.close();
    const good = await connect("/private", { auth: { token: "good" } });
    const whoami = await good.emitWithAck("whoami");
    good.disconnect();
    return { message: error.message, data: error.data ?? null, whoami };
  },

  /** The server disconnects the socket: the client sees "io server disconnect". */
  async kicked() {
    const socket = await connect("/", {}, arg);
    const id = socket.id;
    const disconnected = next(socket, "disconnect");
    socket.emit("kick-me");
    const [reason] = await disconnected;
    return { id, reason, active: socket.active };
  },

  /** Prints its socket id, then exits without closing anything (the server sees the connection drop). */
  async vanish() {
    const socket = await connect("/", {}, "websocket");
    await socket.emitWithAck("whoami");
    return { id: socket.id };
  },

  /** A raw WebSocket client that connects to "/" and then never answers a ping. */
  async silent() {
    const url = base.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
    const ws = new WebSocket(url);
    let id = null;
    let pings = 0;
    const opened = Date.now();
    const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith("0")) ws.send("40");
      else if (text.startsWith("40")) id = JSON.parse(text.slice(2)).sid;
      else if (text === "2") pings++;
    });
    const code = await closed;
    return { id, pings, code, ms: Date.now() - opened };
  },

  /**
   * Connection state recovery: join a room, lose the transport, miss a broadcast (sent through a second client),
   * reconnect and get the missed event, with the same id.
   */
  async recovery() {
    const kill = arg === "websocket-killed";
    const socket = await connect("/", {}, kill ? "websocket" : arg);
    const missed = [];
    socket.on("news", (...args) => missed.push(args));
    const joined = next(socket, "joined");
    await socket.emitWithAck("join", "recovery-room");
    await joined;
    const first = { id: socket.id, pid: socket._pid ?? null, recovered: socket.recovered };
    const helper = await connect("/");
    const disconnected = next(socket, "disconnect");
    if (kill) socket.io.engine.transport.ws._socket.destroy(); // the TCP connection dies, no close frame
    else socket.io.engine.close(); // the Engine.IO connection closes; the Manager is not told to stop
    const [reason] = await disconnected;
    // The client hears of its own close at once, the server when the close packet (or the dropped connection)
    // arrives. socket.io restores only a session it stored on disconnect, and a real client reconnects after a delay
    // (reconnectionDelay); reconnecting at once could overtake the close on a loaded machine. Wait for the server.
    await helper.emitWithAck("await-disconnect", first.id);
    await helper.emitWithAck("news-to", "recovery-room", "while you were away");
    socket.connect();
    await next(socket, "connect");
    await sleep(100); // the missed packets follow the CONNECT reply
    const second = { id: socket.id, pid: socket._pid ?? null, recovered: socket.recovered };
    const rooms = await socket.emitWithAck("my-rooms");
    socket.disconnect();
    helper.disconnect();
    return { first, second, reason, missed, rooms };
  },

  /**
   * Hundreds of clients spread over rooms; client 0 asks the server for broadcasts, each followed by a fence
   * broadcast to everybody (one connection delivers in order, so once every client has the fence, every client has
   * whatever it was going to get of the broadcast). Counts who received each broadcast.
   */
  async rooms() {
    const count = Number(arg);
    const sockets = await Promise.all(Array.from({ length: count }, (_, i) =>
      connect("/", { auth: { index: i } }, i % 10 === 9 ? "polling" : "websocket")));
    const received = sockets.map(() => new Map());
    const fences = sockets.map(() => -1);
    let waiters = [];
    sockets.forEach((s, i) => {
      s.on("b", (tag) => received[i].set(tag, (received[i].get(tag) ?? 0) + 1));
      s.on("fence", (n) => { fences[i] = n; waiters.forEach((w) => w()); });
    });
    await Promise.all(sockets.map((s, i) => s.emitWithAck("join-rooms", [`r${i % 3}`, `m${i % 5}`])));
    const cases = [
      { tag: "to-r0", to: ["r0"] },
      { tag: "to-r0-to-m0", to: ["r0", "m0"] },
      { tag: "except-r1", except: ["r1"] },
      { tag: "to-m1-except-r2", to: ["m1"], except: ["r2"] },
      { tag: "except-r0-m0", except: ["r0", "m0"] },
      { tag: "socket-broadcast", fromSocket: true },
      { tag: "socket-to-r0", fromSocket: true, to: ["r0"] },
      { tag: "socket-except-m0", fromSocket: true, except: ["m0"] },
      { tag: "volatile-to-m2", to: ["m2"], volatile: true },
    ];
    const results = {};
    for (let n = 0; n < cases.length; n++) {
      await sockets[0].emitWithAck("bcast", cases[n]);
      await sockets[0].emitWithAck("fence", n);
      while (fences.some((f) => f < n)) await new Promise((r) => waiters.push(r));
      waiters = [];
      const who = [];
      let duplicates = 0;
      received.forEach((m, i) => {
        const times = m.get(cases[n].tag) ?? 0;
        if (times > 0) who.push(i);
        if (times > 1) duplicates++;
      });
      results[cases[n].tag] = { count: who.length, duplicates, first: who.slice(0, 3), sender: who.includes(0) };
    }
    sockets.forEach((s) => s.disconnect());
    return { clients: count, results };
  },

  /** The handlers `fastio conformance` offers multi-node checks, driven by ten clients. */
  async cluster() {
    const sockets = await Promise.all(Array.from({ length: 10 }, () => connect("/")));
    const [c0, , , c3] = sockets;
    const ids = sockets.map((s) => s.id);
    const got = (event) => sockets.map((s) => new Promise((resolve) => s.once(event, (...a) => resolve(a))));
    const r = { ids };

    const broadcasts = got("broadcast");
    c0.emit("broadcast");
    r.broadcast = (await Promise.all(broadcasts)).map((a) => a[0]);

    const volatiles = got("volatile_broadcast");
    c0.emit("volatile_broadcast");
    r.volatileBroadcast = (await Promise.all(volatiles)).length;

    sockets.forEach((s) => s.once("broadcast_with_ack", (_, cb) => cb("ack from " + s.id)));
    r.broadcastWithAck = await c0.emitWithAck("broadcast_with_ack");

    r.fetchSockets = await c0.emitWithAck("fetch_sockets");
    r.roomsBefore = await c0.emitWithAck("rooms");

    await c0.emitWithAck("join_room_from_remote_sock", c3.id);
    r.c3RoomsAfterJoin = await c0.emitWithAck("get_rooms_remote_sock", c3.id);
    await c0.emitWithAck("leave_room_from_remote_sock", c3.id);
    r.c3RoomsAfterLeave = await c0.emitWithAck("get_rooms_remote_sock", c3.id);
    r.c0Rooms = await c0.emitWithAck("get_rooms_remote_sock", c0.id);
    r.unknownRooms = await c0.emitWithAck("get_rooms_remote_sock", "no-such-socket");

    await c0.emitWithAck("join_room");
    await c0.emitWithAck("leave_room");
    r.roomsAfter = await c0.emitWithAck("rooms");

    let emitsElsewhere = 0;
    sockets.forEach((s, i) => { if (i !== 3) s.on("emit", () => emitsElsewhere++); });
    const emitted = next(c3, "emit");
    await c0.emitWithAck("emit_from_remote_sock", c3.id);
    r.emitFromRemote = (await emitted)[0];

    c3.once("emit", (greeting, cb) => cb("c3 got " + greeting));
    r.emitWithAckFromRemote = await c0.emitWithAck("emit_with_ack_from_remote_sock", c3.id);

    r.emitsElsewhere = emitsElsewhere;

    const c3Gone = next(c3, "disconnect");
    await c0.emitWithAck("disconnect_remote_sock", c3.id);
    r.c3Reason = (await c3Gone)[0];
    r.fetchAfterOneLeft = (await c0.emitWithAck("fetch_sockets")).length;

    const rest = sockets.filter((s) => s !== c3).map((s) => next(s, "disconnect"));
    c0.emit("disconnect_socket");
    r.everyoneReasons = (await Promise.all(rest)).map((a) => a[0]);
    return r;
  },
};

if (!scenarios[scenario]) fail("unknown scenario " + scenario);
scenarios[scenario]().then(done, (e) => fail(e.stack || String(e)));
