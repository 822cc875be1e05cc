// Terminal client of the FastIo chat sample:
//   node client.mjs [--url http://localhost:3000] [--name alice] [--room lobby]
// Type a line to message the room; /join ROOM, /users and /quit are commands.
import readline from "node:readline";
import { parseArgs } from "node:util";
import { io } from "socket.io-client";

const { values: opts } = parseArgs({
  options: {
    url: { type: "string", default: "http://localhost:3000" },
    name: { type: "string", default: process.env.USER || "guest" },
    room: { type: "string", default: "lobby" },
  },
});

const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: "> " });
const print = (line) => {
  // Keep what the user is typing below the incoming line.
  readline.clearLine(process.stdout, 0);
  readline.cursorTo(process.stdout, 0);
  console.log(line);
  rl.prompt(true);
};

const socket = io(opts.url, { auth: { name: opts.name } });
let room = opts.room;

const join = async (target) => {
  const reply = await socket.timeout(5000).emitWithAck("join", target);
  if (reply.error) return print(`! ${reply.error}`);
  room = reply.room;
  print(`* you are in #${reply.room} with ${reply.users.join(", ")}`);
};

socket.on("connect", () => {
  print(`* connected to ${opts.url} as ${opts.name}`);
  // Also after a reconnection: the server forgot the room with the old socket.
  join(room).catch((e) => print(`! join failed: ${e.message}`));
});
socket.on("connect_error", (e) => print(`! cannot connect: ${e.message}`));
socket.on("disconnect", (reason) => print(`* disconnected (${reason})`));
socket.on("message", (m) => print(`[#${m.room}] ${m.user}: ${m.text}`));
socket.on("user joined", (u) => print(`* ${u.user} joined #${u.room}`));
socket.on("user left", (u) => print(`* ${u.user} left #${u.room} (${u.reason})`));
socket.on("typing", (t) => { if (t.typing) print(`* ${t.user} is typing…`); });

// Typing notifications: one "true" when typing starts, one "false" after a pause or on sending.
let typing = false;
let typingTimer;
const stopTyping = () => {
  clearTimeout(typingTimer);
  if (typing) { typing = false; socket.emit("typing", false); }
};
process.stdin.on("keypress", (_, key) => {
  if (!socket.connected || (key && key.name === "return")) return;
  if (!typing) { typing = true; socket.emit("typing", true); }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 2000);
});

rl.on("line", async (input) => {
  const line = input.trim();
  stopTyping();
  if (line === "/quit") return rl.close();
  try {
    if (line.startsWith("/join ")) return await join(line.slice(6).trim());
    if (line === "/users") {
      const users = await socket.timeout(5000).emitWithAck("users");
      return print(`* in #${room}: ${users.join(", ")}`);
    }
    if (line) {
      const reply = await socket.timeout(5000).emitWithAck("message", line);
      if (reply.error) print(`! ${reply.error}`);
    }
  } catch (e) {
    print(`! ${e.message}`);
  } finally {
    rl.prompt(true);
  }
});
rl.on("close", () => { socket.close(); process.exit(0); });
rl.prompt();
