namespace FastIo.Transports.Hosting.Epoll;

/// <summary>What an <see cref="EpollLoop"/> tells about a registered descriptor.</summary>
internal interface IEpollHandler
{
    /// <summary>
    /// The descriptor reported <paramref name="events"/> (EPOLLIN, EPOLLOUT, ...), on the loop's thread. May come once
    /// more after the handler unregistered (an event collected before the unregistration): it must then do nothing.
    /// Must not throw; whatever it runs inline holds up the loop's other descriptors.
    /// </summary>
    void OnEvents(uint events);
}
