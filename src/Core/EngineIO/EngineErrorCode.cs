namespace FastIo.EngineIO;

/// <summary>The error codes of an Engine.IO handshake or request refusal (engine.io's <c>Server.errors</c>).</summary>
public enum EngineErrorCode
{
    /// <summary>The <c>transport</c> query parameter is missing or names a transport that is not enabled.</summary>
    UnknownTransport = 0,

    /// <summary>The <c>sid</c> names no open session.</summary>
    UnknownSid = 1,

    /// <summary>A handshake (a request without <c>sid</c>) that is not a GET.</summary>
    BadHandshakeMethod = 2,

    /// <summary>Anything else that is malformed or out of place.</summary>
    BadRequest = 3,

    /// <summary>Refused by the <see cref="EngineOptions.AllowRequest"/> hook.</summary>
    Forbidden = 4,

    /// <summary>The <c>EIO</c> query parameter names a protocol revision that is not enabled.</summary>
    UnsupportedProtocolVersion = 5,
}

/// <summary>Messages and JSON bodies that go with <see cref="EngineErrorCode"/>.</summary>
public static class EngineErrors
{
    /// <summary>The message engine.io sends for <paramref name="code"/>.</summary>
    public static string Message(EngineErrorCode code) => code switch
    {
        EngineErrorCode.UnknownTransport => "Transport unknown",
        EngineErrorCode.UnknownSid => "Session ID unknown",
        EngineErrorCode.BadHandshakeMethod => "Bad handshake method",
        EngineErrorCode.BadRequest => "Bad request",
        EngineErrorCode.Forbidden => "Forbidden",
        EngineErrorCode.UnsupportedProtocolVersion => "Unsupported protocol version",
        _ => "Bad request",
    };

    /// <summary>The HTTP status engine.io answers with: 403 for <see cref="EngineErrorCode.Forbidden"/>, else 400.</summary>
    public static int HttpStatus(EngineErrorCode code) => code == EngineErrorCode.Forbidden ? 403 : 400;

    /// <summary>The JSON body <c>{"code":N,"message":"…"}</c>, UTF-8 encoded.</summary>
    public static byte[] JsonBody(EngineErrorCode code, string? message = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("code", (int)code);
            json.WriteString("message", message ?? Message(code));
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
