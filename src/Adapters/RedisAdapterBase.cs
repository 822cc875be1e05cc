using System.Collections.Concurrent;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Adapters;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// What the classic and the sharded Redis adapter of one namespace do alike. Local delivery happens first-hand and
/// never waits on Redis; every publish is fire-and-forget on the shared multiplexer, which pipelines them over one
/// connection; each channel has its own subscription queue; servers are counted as the subscribers of one channel.
/// A subclass supplies its protocol: the channels, the encodings, and how a received message is routed.
/// </summary>
internal abstract partial class RedisAdapterBase : Adapter
{
    private readonly Func<string> _newId;
    private readonly List<ChannelMessageQueue> _queues = new();
    private Task _subscribed = Task.CompletedTask;

    /// <param name="nsp">The namespace.</param>
    /// <param name="shared">The server's multiplexer and options.</param>
    /// <param name="newId">Makes this adapter's uid and its request ids, as the Node peer of the protocol makes them.</param>
    protected RedisAdapterBase(Namespace nsp, RedisConnectionState shared, Func<string> newId)
        : base(nsp)
    {
        Shared = shared;
        Logger = nsp.Server.Logger;
        _newId = newId;
        Uid = newId();
        shared.Watch(Logger);
    }

    /// <summary>This adapter's uid, never containing <c>#</c> (it is part of channel names).</summary>
    public string Uid { get; }

    protected RedisConnectionState Shared { get; }

    protected ILogger Logger { get; }

    protected TimeSpan RequestsTimeout => Shared.Options.RequestsTimeout;

    /// <summary>Requests this server published whose responses it gathers, by request id.</summary>
    protected ConcurrentDictionary<string, PendingRequest> Requests { get; } = new(StringComparer.Ordinal);

    /// <summary>Broadcasts with acks this server published, by request id, while their acks may still come.</summary>
    protected ConcurrentDictionary<string, BroadcastAckRequest> AckRequests { get; } = new(StringComparer.Ordinal);

    /// <summary>The PUBSUB subcommand that counts the servers (NUMSUB or SHARDNUMSUB).</summary>
    protected abstract string ServerCountCommand { get; }

    /// <summary>The channel every server of the namespace subscribes, whose subscribers PUBSUB counts.</summary>
    protected abstract string ServerCountChannel { get; }

    /// <summary>Completes once every channel is subscribed (the subscriptions start with the namespace).</summary>
    public override ValueTask InitAsync(CancellationToken cancellationToken = default) => new(_subscribed.WaitAsync(cancellationToken));

    /// <summary>Counted as Node counts them, so mixed clusters agree on how many answers to expect.</summary>
    public override async ValueTask<int> ServerCountAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await Shared.Redis.GetDatabase().ExecuteAsync("PUBSUB", ServerCountCommand, ServerCountChannel).WaitAsync(cancellationToken).ConfigureAwait(false);
            var pair = (RedisResult[])result!;
            return pair.Length >= 2 ? (int)pair[1] : 0;
        }
        catch (RedisException e)
        {
            throw new TimeoutException($"Redis is unavailable, so the other servers of {Namespace.Name} cannot be counted: {e.Message}", e);
        }
    }

    /// <summary>Unsubscribes every queue (leaving the server count), then releases what the in-memory adapter holds.</summary>
    public override async ValueTask CloseAsync()
    {
        ChannelMessageQueue[] queues;
        lock (_queues)
        {
            queues = _queues.ToArray();
            _queues.Clear();
        }

        foreach (var queue in queues)
        {
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // Redis is away: the subscription ends with the connection anyway.
            }
        }

        await base.CloseAsync().ConfigureAwait(false);
    }

    protected string NewRequestId() => _newId();

    /// <summary>Starts the subscriptions: the last step of a subclass's constructor, once its channels are known.</summary>
    protected void StartSubscriptions() => _subscribed = SubscribeAllAsync();

    /// <summary>Subscribes the protocol's channels, each through <see cref="SubscribeAsync"/>.</summary>
    protected abstract Task SubscribeChannelsAsync();

    protected async Task SubscribeAsync(RedisChannel channel, Action<ChannelMessage> handler)
    {
        // A queue per channel delivers in order, one message at a time, off StackExchange.Redis's reader.
        var queue = await Shared.Subscriber.SubscribeAsync(channel).ConfigureAwait(false);
        queue.OnMessage(handler);
        lock (_queues)
        {
            _queues.Add(queue);
        }
    }

    protected void Publish(RedisChannel channel, byte[] payload)
    {
        try
        {
            // Fire-and-forget: queued on the multiplexer's pipeline (backlogged while reconnecting), never awaited.
            Shared.Subscriber.Publish(channel, payload, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            Log.PublishFailed(Logger, e, channel.ToString());
        }
    }

    /// <summary>
    /// Parses a request or response (JSON or msgpack) and hands an object to <paramref name="handler"/>. A malformed
    /// message or a failing handler costs a log line and nothing else: the queue goes on with the next message.
    /// </summary>
    protected void Dispatch(RedisChannel channel, ReadOnlyMemory<byte> payload, Action<JsonElement, IReadOnlyList<ReadOnlyMemory<byte>>> handler)
    {
        try
        {
            using var document = RedisWire.Parse(payload, out var attachments);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                handler(document.RootElement, attachments);
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            Log.Malformed(Logger, channel.ToString(), e.Message);
        }
        catch (Exception e)
        {
            Log.HandlingFailed(Logger, e, channel.ToString());
        }
    }

    private async Task SubscribeAllAsync()
    {
        try
        {
            await SubscribeChannelsAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.SubscribeFailed(Logger, e, Namespace.Name);
            throw;
        }
    }
}
