using System.Buffers;
using System.Threading.Channels;
using FastIo.Transports.WebSockets;

namespace FastIo.Tests.WebSockets;

internal readonly record struct ReceivedMessage(WebSocketMessageType Type, byte[] Payload);

internal readonly record struct ClosedEvent(ushort? Status, string? Reason, Exception? Error);

/// <summary>Records messages and the close; optionally reacts to messages (echo, throw).</summary>
internal sealed class RecordingHandler : IWebSocketHandler
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Channel<ReceivedMessage> _messages = Channel.CreateUnbounded<ReceivedMessage>();
    private readonly TaskCompletionSource<ClosedEvent> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closedCount;

    public Action<WebSocketMessageType, byte[]>? OnMessageCallback { get; set; }

    public int ClosedCount => Volatile.Read(ref _closedCount);

    public Task<ClosedEvent> Closed => _closed.Task.WaitAsync(Timeout);

    public void OnMessage(WebSocketMessageType type, ReadOnlySequence<byte> payload)
    {
        byte[] bytes = payload.ToArray();
        _messages.Writer.TryWrite(new ReceivedMessage(type, bytes));
        OnMessageCallback?.Invoke(type, bytes);
    }

    public void OnClosed(ushort? closeStatus, string? reason, Exception? error)
    {
        Interlocked.Increment(ref _closedCount);
        _closed.TrySetResult(new ClosedEvent(closeStatus, reason, error));
    }

    public Task<ReceivedMessage> NextMessageAsync() => _messages.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    public bool TryGetMessage(out ReceivedMessage message) => _messages.Reader.TryRead(out message);
}
