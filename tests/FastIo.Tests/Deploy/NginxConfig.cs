using System.Text;

namespace FastIo.Tests.Deploy;

/// <summary>
/// The nginx configuration of docs/deploy.md, on test ports and in a private folder (pid, temp files), with an access
/// log on stdout in the <see cref="BalancedRequest"/> format. The <c>upstream</c> and <c>location</c> blocks are the
/// document's; keep them in step.
/// </summary>
internal static class NginxConfig
{
    /// <param name="hashClientAddress">
    /// <c>hash $remote_addr consistent</c> (sticky: what polling needs); false leaves nginx's round robin, enough for
    /// WebSocket-only clients.
    /// </param>
    public static string Create(string folder, int listenPort, IReadOnlyList<int> nodePorts, bool hashClientAddress)
    {
        var servers = new StringBuilder();
        foreach (var port in nodePorts)
        {
            // Passive health check (the only kind nginx open source has): one failed connection takes the node
            // out for 10 s, then one request probes it again.
            servers.Append("        server 127.0.0.1:").Append(port).AppendLine(" max_fails=1 fail_timeout=10s;");
        }

        var hash = hashClientAddress ? "hash $remote_addr consistent;" : "# round robin";
        return $$"""
            pid {{folder}}/nginx.pid;
            error_log stderr warn;
            worker_processes 1;
            events { worker_connections 1024; }
            http {
                log_format fastio '$status $request_uri $upstream_addr';
                access_log /dev/stdout fastio;
                client_body_temp_path {{folder}}/body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;

                map $http_upgrade $connection_upgrade {
                    default upgrade;
                    ''      '';
                }

                upstream fastio {
                    {{hash}}
            {{servers}}
                    keepalive 32;
                }

                server {
                    listen 127.0.0.1:{{listenPort}};

                    location /socket.io/ {
                        proxy_pass http://fastio;
                        proxy_http_version 1.1;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_buffering off;
                        proxy_read_timeout 75s;
                        proxy_send_timeout 75s;
                    }
                }
            }
            """;
    }
}
