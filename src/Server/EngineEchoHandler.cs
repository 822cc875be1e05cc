using FastIo.EngineIO;

namespace FastIo.Server;

/// <summary>
/// The raw Engine.IO application of the official test suites: every message, text or binary, goes back to
/// its sender as it came.
/// </summary>
internal sealed class EngineEchoHandler : IEngineHandler
{
    public void OnOpen(EngineSession session)
    {
    }

    public void OnMessage(EngineSession session, ReadOnlySpan<byte> data, bool isBinary)
    {
        if (isBinary)
        {
            session.SendBinary(data);
        }
        else
        {
            session.SendText(data);
        }
    }

    public void OnClose(EngineSession session, string reason)
    {
    }
}
