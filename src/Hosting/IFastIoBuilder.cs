using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FastIo.Hosting;

/// <summary>
/// Returned by <see cref="FastIoServiceCollectionExtensions.AddFastIo"/>: registers the application's handlers on the
/// <see cref="SocketIOServer"/> with access to the service provider.
/// </summary>
public interface IFastIoBuilder
{
    /// <summary>The service collection FastIo was added to.</summary>
    IServiceCollection Services { get; }

    /// <summary>
    /// Adds a callback that registers namespaces, middleware and connection handlers. Callbacks run in the order they
    /// were added, once, when the generic host starts and before the listeners bind, so no client can connect to a
    /// server whose handlers are missing.
    /// </summary>
    IFastIoBuilder Configure(Action<IServiceProvider, SocketIOServer> configure);

    /// <summary>
    /// Adds a callback that adjusts the <see cref="FastIoHost"/> before it starts, e.g. to
    /// <see cref="FastIoHost.Map"/> another Engine.IO application on another path. Runs after every
    /// <see cref="Configure"/> callback.
    /// </summary>
    IFastIoBuilder ConfigureHost(Action<IServiceProvider, FastIoHost> configure);
}
