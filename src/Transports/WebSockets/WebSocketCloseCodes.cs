namespace FastIo.Transports.WebSockets;

/// <summary>Close status codes (RFC 6455 §7.4.1) and the rules for which may appear on the wire.</summary>
internal static class WebSocketCloseCodes
{
    public const ushort NormalClosure = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort UnsupportedData = 1003;

    /// <summary>Reserved: reported locally when a Close frame had no code, never sent (§7.4.1).</summary>
    public const ushort NoStatusReceived = 1005;

    public const ushort InvalidPayloadData = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort InternalError = 1011;

    private const ushort FirstRegisteredCode = 3000;
    private const ushort LastPrivateCode = 4999;

    /// <summary>
    /// Whether a code may appear in a Close frame. 1004/1005/1006/1015 are reserved for local use
    /// (§7.4.1), 0-999 are unused and 1012+ below 3000 are not defined by RFC 6455; 3000-4999 belong to
    /// libraries/applications (§7.4.2).
    /// </summary>
    public static bool IsValidOnWire(ushort code) =>
        code is (>= NormalClosure and <= UnsupportedData)
            or (>= InvalidPayloadData and <= InternalError)
            or (>= FirstRegisteredCode and <= LastPrivateCode);
}
