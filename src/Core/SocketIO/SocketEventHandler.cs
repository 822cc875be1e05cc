namespace FastIo.SocketIO;

/// <summary>
/// A synchronous event handler that reads the event in place (see <see cref="SocketEvent"/>): the allocation-free
/// way to handle an event. Written with an explicit parameter, e.g.
/// <c>socket.On("echo", (in SocketEvent e) =&gt; e.AckRawJson(e.GetRawJson(0)))</c>.
/// </summary>
public delegate void SocketEventHandler(in SocketEvent e);
