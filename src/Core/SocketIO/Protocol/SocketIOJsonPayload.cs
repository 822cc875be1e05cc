using System.Text.Json;

namespace FastIo.SocketIO.Protocol;

/// <summary>
/// Validates a decoded JSON payload against its packet type, as socket.io-parser's <c>isPayloadValid</c> does,
/// and checks the attachment placeholders of binary packets as its <c>reconstructPacket</c> does.
/// </summary>
internal static class SocketIOJsonPayload
{
    /// <summary>
    /// Nesting limit for payloads (System.Text.Json's default). JSON.parse has none, but an unbounded depth only
    /// serves to exhaust stacks.
    /// </summary>
    public const int MaxDepth = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>
    /// Returns null when <paramref name="json"/> (empty when absent) is a valid payload for <paramref name="type"/>
    /// with <paramref name="attachments"/> announced attachments, or a short reason otherwise.
    /// </summary>
    public static string? Validate(ReadOnlySpan<byte> json, SocketPacketType type, int attachments)
    {
        if (json.IsEmpty)
        {
            // CONNECT may omit its payload and DISCONNECT must. Deliberate difference: socket.io-parser lets any
            // type omit it (then the server dispatches an event without a name); its own isPacketValid requires an
            // array for EVENT/ACK and a string or object for CONNECT_ERROR, and so do we.
            return type is SocketPacketType.Connect or SocketPacketType.Disconnect ? null : "invalid payload";
        }

        if (type == SocketPacketType.Disconnect)
        {
            return "invalid payload";
        }

        bool isBinary = type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck;
        bool isEvent = type is SocketPacketType.Event or SocketPacketType.BinaryEvent;
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read())
            {
                return "invalid JSON";
            }

            var root = reader.TokenType;
            bool rootValid = type switch
            {
                SocketPacketType.Connect => root == JsonTokenType.StartObject,
                SocketPacketType.ConnectError => root is JsonTokenType.StartObject or JsonTokenType.String,
                _ => root == JsonTokenType.StartArray,
            };
            if (!rootValid)
            {
                // Drain first so that malformed JSON reports as such (JSON.parse runs before isPayloadValid).
                return Drain(ref reader) ? "invalid payload" : "invalid JSON";
            }

            if (isEvent)
            {
                // The first element is the event name: a string that is not reserved, or a number.
                if (!reader.Read() || !IsValidEventName(ref reader))
                {
                    return Drain(ref reader) ? "invalid payload" : "invalid JSON";
                }
            }

            return isBinary ? CheckPlaceholders(ref reader, attachments) : (Drain(ref reader) ? null : "invalid JSON");
        }
        catch (JsonException)
        {
            return "invalid JSON";
        }
    }

    private static bool IsValidEventName(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        // socket.io-parser's RESERVED_EVENTS.
        return !(reader.ValueTextEquals("connect"u8)
            || reader.ValueTextEquals("connect_error"u8)
            || reader.ValueTextEquals("disconnect"u8)
            || reader.ValueTextEquals("disconnecting"u8)
            || reader.ValueTextEquals("newListener"u8)
            || reader.ValueTextEquals("removeListener"u8));
    }

    /// <summary>Reads to the end; throws <see cref="JsonException"/> on malformed input. Returns true for convenience.</summary>
    private static bool Drain(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
        }

        return true;
    }

    /// <summary>
    /// Reads the rest of a binary packet's payload. An object whose <c>_placeholder</c> is <c>true</c> must have an
    /// integer <c>num</c> below the attachment count (socket.io-parser: "illegal attachments"); last duplicate key
    /// wins, as with JSON.parse. The reference checks this once the attachments are in; we refuse up front.
    /// </summary>
    private static string? CheckPlaceholders(ref Utf8JsonReader reader, int attachments)
    {
        // Per open object (indexed by its depth): is it flagged as a placeholder, and its num (-1 if unusable).
        Span<bool> flagged = stackalloc bool[MaxDepth + 2];
        Span<int> nums = stackalloc int[MaxDepth + 2];
        int pending = 0; // 1: the next value is "_placeholder"'s, 2: it is "num"'s.
        int pendingDepth = -1;
        do
        {
            var token = reader.TokenType;
            int depth = reader.CurrentDepth;
            switch (token)
            {
                case JsonTokenType.PropertyName:
                    pending = reader.ValueTextEquals("_placeholder"u8) ? 1 : reader.ValueTextEquals("num"u8) ? 2 : 0;
                    pendingDepth = depth - 1;
                    continue;
                case JsonTokenType.EndObject:
                    if (flagged[depth] && (uint)nums[depth] >= (uint)attachments)
                    {
                        return "illegal attachments";
                    }

                    continue;
                case JsonTokenType.EndArray:
                    continue;
            }

            if (pending == 1)
            {
                flagged[pendingDepth] = token == JsonTokenType.True;
            }
            else if (pending == 2)
            {
                nums[pendingDepth] = token == JsonTokenType.Number && reader.TryGetInt32(out int num) && num >= 0 ? num : -1;
            }

            pending = 0;
            if (token == JsonTokenType.StartObject)
            {
                flagged[depth] = false;
                nums[depth] = -1;
            }
        }
        while (reader.Read());

        return null;
    }
}
