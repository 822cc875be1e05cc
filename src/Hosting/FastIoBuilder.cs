using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FastIo.Hosting;

/// <summary>Each callback becomes a <see cref="FastIoSetup"/> singleton, so that several <c>AddFastIo</c> calls (e.g. from libraries) add up.</summary>
internal sealed class FastIoBuilder(IServiceCollection services) : IFastIoBuilder
{
    public IServiceCollection Services { get; } = services;

    public IFastIoBuilder Configure(Action<IServiceProvider, SocketIOServer> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddSingleton(new FastIoSetup(configure, null));
        return this;
    }

    public IFastIoBuilder ConfigureHost(Action<IServiceProvider, FastIoHost> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddSingleton(new FastIoSetup(null, configure));
        return this;
    }
}
