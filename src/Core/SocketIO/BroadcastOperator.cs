using FastIo.SocketIO.Adapters;

namespace FastIo.SocketIO;

/// <summary>
/// A broadcast under construction (socket.io's <c>BroadcastOperator</c>): every modifier returns a new operator, so
/// one can be kept and reused. Created from a server, a namespace or a socket (which excludes itself).
/// </summary>
public sealed class BroadcastOperator
{
    private readonly Adapter _adapter;
    private readonly BroadcastOptions _options;

    internal BroadcastOperator(Adapter adapter, BroadcastOptions options)
    {
        _adapter = adapter;
        _options = options;
    }

    /// <summary>Targets the sockets in <paramref name="rooms"/> too (a union).</summary>
    public BroadcastOperator To(params string[] rooms) => With(rooms: Union(_options.Rooms, rooms));

    /// <summary>Same as <see cref="To"/>.</summary>
    public BroadcastOperator In(params string[] rooms) => To(rooms);

    /// <summary>Leaves out the sockets in <paramref name="rooms"/>.</summary>
    public BroadcastOperator Except(params string[] rooms) => With(except: Union(_options.Except, rooms));

    /// <summary>Drops the event for clients that cannot take it right now.</summary>
    public BroadcastOperator Volatile => new(_adapter, Copy(volatileFlag: true));

    /// <summary>Only this node's sockets, even in a cluster.</summary>
    public BroadcastOperator Local => new(_adapter, Copy(local: true));

    /// <summary>Sets the compression hint.</summary>
    public BroadcastOperator Compress(bool compress) => new(_adapter, Copy(compress: compress));

    /// <summary>How long <see cref="EmitWithAckAsync(string, object?[])"/> waits for the replies.</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => new(_adapter, Copy(timeout: timeout));

    /// <summary>The options this operator stands for.</summary>
    public BroadcastOptions Options => _options;

    /// <summary>Emits an event with one argument (an array stays one argument).</summary>
    public bool Emit<T>(string eventName, T argument)
    {
        // Typed all the way to the serializer: no argument array, no boxing.
        Socket.ThrowIfReserved(eventName);
        var nsp = _adapter.Namespace;
        Broadcast(PacketWriter.RentBroadcast(nsp.Name, eventName, new Arguments<T>(argument), nsp.Server.JsonOptions));
        return true;
    }

    /// <summary>Emits to every targeted socket. Returns true (as socket.io does).</summary>
    public bool Emit(string eventName, params object?[] args)
    {
        Socket.ThrowIfReserved(eventName);
        var nsp = _adapter.Namespace;
        Broadcast(PacketWriter.RentBroadcast(nsp.Name, eventName, new ObjectArguments(args), nsp.Server.JsonOptions));
        return true;
    }

    /// <summary>
    /// Emits to every targeted socket and gathers one reply from each. Throws <see cref="AckTimeoutException"/>
    /// (with the replies that did arrive) when <see cref="Timeout"/> passes first.
    /// </summary>
    public Task<SocketArgs[]> EmitWithAckAsync(string eventName, params object?[] args) =>
        EmitWithAckAsync(eventName, args, CancellationToken.None);

    /// <inheritdoc cref="EmitWithAckAsync(string, object?[])"/>
    public async Task<SocketArgs[]> EmitWithAckAsync(string eventName, object?[] args, CancellationToken cancellationToken)
    {
        Socket.ThrowIfReserved(eventName);
        var nsp = _adapter.Namespace;
        var gather = new AckGatherer();
        var packet = PacketWriter.Event(nsp.Name, eventName, args, nsp.NextAckId(), nsp.Server.JsonOptions);
        _adapter.BroadcastWithAck(packet, _options, gather.AddExpected, gather.Add);
        var wait = gather.Task;
        try
        {
            if (_options.Timeout is { } timeout)
            {
                return await wait.WaitAsync(timeout, nsp.Server.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            return await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var (responses, expected) = gather.Snapshot();
            throw new AckTimeoutException(responses, expected);
        }
    }

    /// <summary>The targeted sockets, wherever they are in the cluster.</summary>
    public async Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(CancellationToken cancellationToken = default) =>
        await _adapter.FetchSocketsAsync(_options, cancellationToken).ConfigureAwait(false);

    /// <summary>Makes the targeted sockets join <paramref name="rooms"/>.</summary>
    public void SocketsJoin(params string[] rooms) => _adapter.AddSockets(_options, rooms);

    /// <summary>Makes the targeted sockets leave <paramref name="rooms"/>.</summary>
    public void SocketsLeave(params string[] rooms) => _adapter.DelSockets(_options, rooms);

    /// <summary>Disconnects the targeted sockets (and their whole connections when <paramref name="close"/>).</summary>
    public void DisconnectSockets(bool close = false) => _adapter.DisconnectSockets(_options, close);

    private void Broadcast(in BroadcastPacket broadcast)
    {
        try
        {
            _adapter.Broadcast(broadcast.Packet, _options);
        }
        finally
        {
            PacketWriter.ReturnBroadcast(broadcast);
        }
    }

    private BroadcastOperator With(IReadOnlySet<string>? rooms = null, IReadOnlySet<string>? except = null) =>
        new(_adapter, new BroadcastOptions
        {
            Rooms = rooms ?? _options.Rooms,
            Except = except ?? _options.Except,
            Volatile = _options.Volatile,
            Compress = _options.Compress,
            Local = _options.Local,
            Timeout = _options.Timeout,
        });

    private BroadcastOptions Copy(bool? volatileFlag = null, bool? local = null, bool? compress = null, TimeSpan? timeout = null) => new()
    {
        Rooms = _options.Rooms,
        Except = _options.Except,
        Volatile = volatileFlag ?? _options.Volatile,
        Compress = compress ?? _options.Compress,
        Local = local ?? _options.Local,
        Timeout = timeout ?? _options.Timeout,
    };

    private static HashSet<string> Union(IReadOnlySet<string> existing, string[] more)
    {
        var set = new HashSet<string>(existing, StringComparer.Ordinal);
        set.UnionWith(more);
        return set;
    }

    /// <summary>
    /// Collects the replies of an acknowledged broadcast; complete once every counted client answered. Counts add up
    /// (a cluster reports one per server) and a target that disconnects without answering subtracts one.
    /// </summary>
    private sealed class AckGatherer
    {
        private readonly List<SocketArgs> _responses = new();
        private readonly TaskCompletionSource<SocketArgs[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected;
        private bool _counted;

        public Task<SocketArgs[]> Task => _done.Task;

        public void AddExpected(int count)
        {
            lock (_responses)
            {
                _expected += count;
                _counted |= count >= 0; // a departure (-1) may come before the count it belongs to
                TryComplete();
            }
        }

        public void Add(SocketArgs reply)
        {
            lock (_responses)
            {
                _responses.Add(reply);
                TryComplete();
            }
        }

        public (SocketArgs[] Responses, int Expected) Snapshot()
        {
            lock (_responses)
            {
                return (_responses.ToArray(), _expected);
            }
        }

        private void TryComplete()
        {
            if (_counted && _responses.Count >= _expected)
            {
                _done.TrySetResult(_responses.ToArray());
            }
        }
    }
}
