// Drives the official engine.io-client (6.6, protocol v4; 3.5, protocol v3) against a FastIo server that
// echoes every message. Usage: node eio-client.mjs <scenario> <http://host:port>
// Prints one JSON line with what it observed and exits 0, or prints the failure and exits 1.
import { Socket } from "engine.io-client";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [scenario, base] = process.argv.slice(2);
const deadline = setTimeout(() => fail("timed out"), 15000);

function fail(message) {
  console.log(JSON.stringify({ ok: false, scenario, message }));
  process.exit(1);
}

function done(result) {
  clearTimeout(deadline);
  console.log(JSON.stringify({ ok: true, scenario, ...result }));
  process.exit(0);
}

function open(options) {
  const socket = new Socket(base, { path: "/engine.io/", ...options });
  return new Promise((resolve, reject) => {
    socket.on("open", () => resolve(socket));
    socket.on("error", (e) => reject(new Error("error: " + e)));
  });
}

function next(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

async function echo(socket, payload) {
  const reply = next(socket, "message");
  socket.send(payload);
  const [data] = await reply;
  return data;
}

function sameBytes(a, b) {
  const x = new Uint8Array(a), y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function echoChecks(socket) {
  const text = "héllo wörld 😀";
  if ((await echo(socket, text)) !== text) fail("text echo differs");
  const big = "x".repeat(200_000);
  if ((await echo(socket, big)) !== big) fail("large text echo differs");
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  const back = await echo(socket, bytes);
  if (!sameBytes(back, bytes.buffer)) fail("binary echo differs: " + typeof back);
  // several messages in one go come back in order
  const received = [];
  const all = new Promise((resolve) => {
    socket.on("message", (m) => { received.push(m); if (received.length === 50) resolve(); });
  });
  for (let i = 0; i < 50; i++) socket.send("m" + i);
  await all;
  socket.off("message");
  for (let i = 0; i < 50; i++) if (received[i] !== "m" + i) fail(`order broken at ${i}: ${received[i]}`);
}

const scenarios = {
  async polling() {
    const socket = await open({ transports: ["polling"] });
    await echoChecks(socket);
    const transport = socket.transport.name;
    socket.close();
    return { transport };
  },
  async websocket() {
    const socket = await open({ transports: ["websocket"] });
    await echoChecks(socket);
    const transport = socket.transport.name;
    socket.close();
    return { transport };
  },
  async upgrade() {
    const socket = await open({});
    if (socket.transport.name !== "polling") fail("did not start on polling");
    const [transport] = await next(socket, "upgrade");
    await echoChecks(socket);
    socket.close();
    return { transport: transport.name };
  },
  async heartbeat() {
    // the test server pings every 300 ms: stay 1.5 s and count the pings we answered
    const socket = await open({ transports: [process.argv[4] ?? "websocket"] });
    let pings = 0, closed = null;
    socket.on("ping", () => pings++);
    socket.on("close", (reason) => (closed = reason));
    await new Promise((r) => setTimeout(r, 1500));
    if (closed) fail("closed during heartbeat: " + closed);
    if ((await echo(socket, "still here")) !== "still here") fail("echo after heartbeat");
    socket.close();
    return { pings };
  },
  async serverClose() {
    // the server closes every session that sends "close-me"; the client must see it
    const socket = await open({ transports: [process.argv[4] ?? "websocket"] });
    const closed = next(socket, "close");
    socket.send("close-me");
    const [reason] = await closed;
    return { reason };
  },
  async many() {
    const sockets = await Promise.all(
      Array.from({ length: 60 }, (_, i) => open({ transports: [i % 2 ? "polling" : "websocket"] })));
    await Promise.all(sockets.map(async (s, i) => {
      for (let k = 0; k < 5; k++) {
        const m = `c${i}-${k}`;
        if ((await echo(s, m)) !== m) fail("cross-talk on " + m);
      }
    }));
    sockets.forEach((s) => s.close());
    return { clients: sockets.length };
  },
  async v3() {
    const SocketV3 = require("engine.io-client-v3");
    const transports = process.argv[4] ? [process.argv[4]] : ["polling", "websocket"];
    const socket = new SocketV3(base, { path: "/engine.io/", transports });
    await new Promise((resolve, reject) => { socket.on("open", resolve); socket.on("error", reject); });
    if (!process.argv[4]) await next(socket, "upgrade");
    const reply = next(socket, "message");
    socket.send("v3 hello é");
    const [text] = await reply;
    if (text !== "v3 hello é") fail("v3 text echo: " + text);
    const binReply = next(socket, "message");
    socket.send(Uint8Array.from([1, 2, 3]).buffer);
    const [bin] = await binReply;
    if (!sameBytes(bin, Uint8Array.from([1, 2, 3]).buffer)) fail("v3 binary echo");
    let pongs = 0;
    socket.on("pong", () => pongs++);
    const transport = socket.transport.name;
    socket.close();
    return { transport };
  },
};

if (!scenarios[scenario]) fail("unknown scenario");
scenarios[scenario]().then(done, (e) => fail(e.stack || String(e)));
