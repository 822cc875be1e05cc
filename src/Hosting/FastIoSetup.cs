using FastIo.SocketIO;
using FastIo.Transports.Hosting;

namespace FastIo.Hosting;

/// <summary>One callback of <see cref="IFastIoBuilder"/>, kept in the container until the hosted service starts.</summary>
internal sealed class FastIoSetup(Action<IServiceProvider, SocketIOServer>? server, Action<IServiceProvider, FastIoHost>? host)
{
    public Action<IServiceProvider, SocketIOServer>? Server { get; } = server;

    public Action<IServiceProvider, FastIoHost>? Host { get; } = host;
}
