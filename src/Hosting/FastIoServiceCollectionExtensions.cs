using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FastIo.Hosting;

/// <summary>Adds FastIo to a generic host (<c>Microsoft.Extensions.Hosting</c>).</summary>
public static class FastIoServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="SocketIOServer"/>, a singleton <see cref="FastIoHost"/> serving it, and a hosted
    /// service that starts the host with the application and drains it on shutdown.
    /// </summary>
    /// <remarks>
    /// Both option types go through the Options pattern (<c>IOptions&lt;FastIoHostOptions&gt;</c>,
    /// <c>IOptions&lt;SocketIOServerOptions&gt;</c>), so <c>services.Configure&lt;FastIoHostOptions&gt;(…)</c> and
    /// <c>AddOptions&lt;…&gt;().Configure&lt;TDep&gt;(…)</c> work too. They are configured with code, not bound from
    /// <c>IConfiguration</c>: they hold endpoints, delegates and nested objects that configuration binding cannot
    /// express. Calling <c>AddFastIo</c> again adds its callbacks to the same server.
    /// </remarks>
    /// <param name="services">The application's services.</param>
    /// <param name="configureHost">Listening endpoints, Engine.IO, HTTP and WebSocket options.</param>
    /// <param name="configureIo">Socket.IO options.</param>
    /// <returns>A builder to register handlers with.</returns>
    public static IFastIoBuilder AddFastIo(
        this IServiceCollection services,
        Action<FastIoHostOptions>? configureHost = null,
        Action<SocketIOServerOptions>? configureIo = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var hostOptions = services.AddOptions<FastIoHostOptions>();
        if (configureHost is not null)
        {
            hostOptions.Configure(configureHost);
        }

        var ioOptions = services.AddOptions<SocketIOServerOptions>();
        if (configureIo is not null)
        {
            ioOptions.Configure(configureIo);
        }

        services.TryAddSingleton(static sp => new SocketIOServer(
            sp.GetRequiredService<IOptions<SocketIOServerOptions>>().Value,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton(static sp => new FastIoHost(
            sp.GetRequiredService<IOptions<FastIoHostOptions>>().Value,
            sp.GetRequiredService<SocketIOServer>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));

        // TryAddEnumerable (what AddHostedService does) keeps one hosted service however often AddFastIo is called.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, FastIoHostedService>());
        return new FastIoBuilder(services);
    }
}
