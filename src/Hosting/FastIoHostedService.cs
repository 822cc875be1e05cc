using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastIo.Hosting;

/// <summary>Starts the <see cref="FastIoHost"/> with the generic host and stops it (gracefully) with it.</summary>
internal sealed partial class FastIoHostedService : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly SocketIOServer _server;
    private readonly FastIoHost _host;
    private readonly IEnumerable<FastIoSetup> _setups;
    private readonly ILogger _logger;
    private int _configured;

    public FastIoHostedService(IServiceProvider services, SocketIOServer server, FastIoHost host, IEnumerable<FastIoSetup> setups, ILogger<FastIoHostedService> logger)
    {
        _services = services;
        _server = server;
        _host = host;
        _setups = setups;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The callbacks run here, not in the SocketIOServer factory, so that they may resolve services that
        // themselves take the SocketIOServer (a factory calling back into the container would be a cycle).
        if (Interlocked.Exchange(ref _configured, 1) == 0)
        {
            foreach (var setup in _setups)
            {
                setup.Server?.Invoke(_services, _server);
            }

            foreach (var setup in _setups)
            {
                setup.Host?.Invoke(_services, _host);
            }
        }

        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
        Log.Started(_logger, string.Join(", ", _host.ListeningEndpoints));
    }

    /// <summary>
    /// Drains: no new connections, every session gets its close packet, and connections still open after
    /// <see cref="FastIoHostOptions.ShutdownTimeout"/> or when <paramref name="cancellationToken"/> fires (the generic
    /// host's own shutdown timeout), whichever comes first, are cut.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Log.Stopping(_logger, _host.Engine.SessionCount);
        await _host.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "FastIo started on {EndPoints}")]
        public static partial void Started(ILogger logger, string endPoints);

        [LoggerMessage(101, LogLevel.Information, "FastIo stopping: closing {Count} sessions")]
        public static partial void Stopping(ILogger logger, int count);
    }
}
