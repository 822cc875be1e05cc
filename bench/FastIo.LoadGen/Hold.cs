using System.Globalization;
using System.Net;

namespace FastIo.LoadGen;

/// <summary>
/// Holds N idle Socket.IO WebSocket clients against a server started by hand (loopback only) for a bounded time,
/// so its heap can be dumped or profiled with a known population.
/// </summary>
internal static class Hold
{
    public static async Task<int> RunAsync(string[] args)
    {
        int port = 3000;
        int count = 1000;
        int seconds = 60;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--port": port = value; break;
                case "--count": count = Math.Min(value, 19_000); break;
                case "--seconds": seconds = Math.Min(value, 3_600); break;
                default: throw new FormatException($"unknown option '{args[i]}'");
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 120));
        var clients = await Connector.ConnectManyAsync(new IPEndPoint(IPAddress.Loopback, port), count, 32, false, 0, ClientSink.None, timeout.Token).ConfigureAwait(false);
        Console.WriteLine($"holding {count} clients for {seconds} s");
        await Task.Delay(TimeSpan.FromSeconds(seconds), timeout.Token).ConfigureAwait(false);
        Connector.DisposeAll(clients);
        return 0;
    }
}
