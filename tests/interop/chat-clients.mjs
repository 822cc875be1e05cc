// Two official socket.io-client 4.8 clients in one room of the Chat sample (samples/Chat, ChatApp.Configure):
// they join, see each other arrive, exchange a message each way and see one leave.
// Usage: node chat-clients.mjs <http://host:port>
// Prints one JSON line with what it observed and exits 0, or prints the failure and exits 1.
import { io } from "socket.io-client";

const [base] = process.argv.slice(2);
const deadline = setTimeout(() => fail("timed out"), 15000);

function fail(message) {
  console.log(JSON.stringify({ ok: false, message }));
  process.exit(1);
}

const connect = (name) =>
  new Promise((resolve, reject) => {
    // Default transports: polling first, then the upgrade to WebSocket, as a browser would.
    const socket = io(base, { auth: { name }, forceNew: true, reconnection: false });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", reject);
  });

const next = (socket, event) => new Promise((resolve) => socket.once(event, resolve));

try {
  const alice = await connect("alice");
  const bob = await connect("bob");
  await alice.timeout(5000).emitWithAck("join", "den");
  const bobArrives = next(alice, "user joined");
  const joined = await bob.timeout(5000).emitWithAck("join", "den");
  const arrival = await bobArrives;

  const atBob = next(bob, "message");
  const sent = await alice.timeout(5000).emitWithAck("message", "hi bob");
  const fromAlice = await atBob;
  const atAlice = next(alice, "message");
  await bob.timeout(5000).emitWithAck("message", "hi alice");
  const fromBob = await atAlice;

  const bobLeaves = next(alice, "user left");
  bob.disconnect();
  const left = await bobLeaves;
  alice.disconnect();
  clearTimeout(deadline);
  console.log(JSON.stringify({
    ok: true,
    users: joined.users,
    arrival: arrival.user,
    sent,
    fromAlice: `${fromAlice.user}: ${fromAlice.text}`,
    fromBob: `${fromBob.user}: ${fromBob.text}`,
    left: `${left.user} (${left.reason})`,
  }));
  process.exit(0);
} catch (e) {
  fail(String(e && e.message || e));
}
