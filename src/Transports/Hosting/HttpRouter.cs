using FastIo.EngineIO;
using FastIo.Transports.EngineIO;
using FastIo.Transports.Http;
using HttpMethod = FastIo.Transports.Http.HttpMethod;

namespace FastIo.Transports.Hosting;

/// <summary>
/// The host's HTTP application: the health check, then each engine by its path (several can share a port, e.g.
/// raw Engine.IO on <c>/engine.io/</c> and Socket.IO on <c>/socket.io/</c>), else 404.
/// </summary>
internal sealed class HttpRouter(string? healthPath) : IHttpApplication
{
    private static readonly byte[] s_ok = "ok"u8.ToArray();
    private static readonly byte[] s_notFound = "Not Found"u8.ToArray();
    private EngineHttpApplication[] _engines = [];

    public void Add(EngineHttpApplication engine) => _engines = [.. _engines, engine];

    public ValueTask HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (healthPath is not null && request.Path == healthPath && request.Method is HttpMethod.Get or HttpMethod.Head)
        {
            context.Response.SetBody(s_ok, "text/plain");
            return ValueTask.CompletedTask;
        }

        foreach (var engine in _engines)
        {
            if (engine.Matches(request.Path))
            {
                return engine.HandleAsync(context);
            }
        }

        context.Response.StatusCode = 404;
        context.Response.SetBody(s_notFound, "text/plain");
        return ValueTask.CompletedTask;
    }

    public void OnRequestError(int statusCode, HttpResponse response)
    {
        if (statusCode == 400)
        {
            response.SetBody(EngineErrors.JsonBody(EngineErrorCode.BadRequest), "application/json");
        }
    }
}
