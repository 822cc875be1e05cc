using System.Text;

namespace FastIo.Tests.Deploy;

/// <summary>
/// The HAProxy configuration of docs/deploy.md on test ports, with a faster health check (every 300 ms, down after
/// 2 failures) so a stopped node leaves within a second, and an access log on stdout in the
/// <see cref="BalancedRequest"/> format. The <c>backend</c> block is otherwise the document's; keep them in step.
/// </summary>
internal static class HAProxyConfig
{
    /// <param name="stickyCookie">
    /// The document's <c>cookie io prefix</c> stickiness; false leaves plain round robin, for nodes that forward
    /// requests to the session's owner (<c>fastio serve --forward</c>).
    /// </param>
    public static string Create(int listenPort, IReadOnlyList<int> nodePorts, bool stickyCookie = true)
    {
        var servers = new StringBuilder();
        for (var i = 0; i < nodePorts.Count; i++)
        {
            servers.Append("    server node").Append(i + 1).Append(" 127.0.0.1:").Append(nodePorts[i]).Append(" check inter 300ms fall 2 rise 1");
            if (stickyCookie)
            {
                servers.Append(" cookie node").Append(i + 1);
            }

            servers.AppendLine();
        }

        // Without stickiness a node also relays requests of the others' sessions: when it dies, the polls it was
        // relaying are retried through another node (the owner keeps the session), but never a POST, which the owner
        // may already have taken — a duplicate message is worse than a reconnect.
        var stickiness = stickyCookie ? "cookie io prefix indirect nocache" : """
            retry-on conn-failure empty-response
                http-request disable-l7-retry if METH_POST
            """;

        return $$"""
            global
                log stdout format raw local0 info
                maxconn 4096

            defaults
                mode http
                log global
                log-format "%ST %HU %si:%sp"
                option redispatch
                retries 3
                timeout connect 5s
                timeout client 75s
                timeout server 75s
                timeout tunnel 1h
                timeout http-keep-alive 60s

            frontend socketio
                bind 127.0.0.1:{{listenPort}}
                default_backend fastio

            backend fastio
                balance roundrobin
                option httpchk HEAD /health
                http-check expect status 200
                {{stickiness}}
            {{servers}}
            """;
    }
}
