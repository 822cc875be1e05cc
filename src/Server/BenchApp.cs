using FastIo.SocketIO;

namespace FastIo.Server;

/// <summary>
/// The application of <c>fastio bench</c>: the handlers the load generator drives, identical to the Node
/// baseline's (bench/node-baseline/server.mjs) so both servers answer the same bytes.
/// </summary>
internal static class BenchApp
{
    public static void Configure(SocketIOServer io)
    {
        io.OnConnection(socket =>
        {
            // echo(data, ack): the ack carries the data back, as the bytes it came in (nothing allocated per echo).
            socket.On("echo", static (in SocketEvent e) => e.AckRawJson(e.GetRawJson(0)));

            // broadcast(n, data, ack?): n emits of "b" to every other socket, then an ack once they are queued.
            socket.On("broadcast", (in SocketEvent e) =>
            {
                var n = e.Get<int>(0);
                var data = e.GetJson(1);
                var others = socket.Broadcast;
                for (var i = 0; i < n; i++)
                {
                    others.Emit("b", data);
                }

                e.Ack();
            });

            // stats(ack): a full collection, then the managed heap in use, for the idle-memory scenario.
            socket.On("stats", m =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                m.Ack(GC.GetTotalMemory(forceFullCollection: false));
            });
        });
    }
}
