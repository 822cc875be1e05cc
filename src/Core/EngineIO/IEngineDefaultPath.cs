namespace FastIo.EngineIO;

/// <summary>An <see cref="IEngineHandler"/> with its own default path (Socket.IO answers on <c>/socket.io/</c>).</summary>
public interface IEngineDefaultPath
{
    /// <summary>The path used when <see cref="EngineOptions.Path"/> is not set.</summary>
    string DefaultPath { get; }
}
