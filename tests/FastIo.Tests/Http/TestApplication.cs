using System.Collections.Concurrent;
using System.Text;
using FastIo.Transports.Http;

namespace FastIo.Tests.Http;

/// <summary>Configurable application: by default answers "ok:&lt;METHOD&gt; &lt;target&gt;:&lt;body&gt;".</summary>
internal sealed class TestApplication : IHttpApplication
{
    public Func<HttpContext, ValueTask> Handler { get; set; } = DefaultHandler;

    public ConcurrentQueue<int> Errors { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    public ValueTask HandleAsync(HttpContext context)
    {
        Requests.Enqueue(context.Request.MethodText + " " + context.Request.Target);
        return Handler(context);
    }

    public void OnRequestError(int statusCode, HttpResponse response)
    {
        Errors.Enqueue(statusCode);
        response.SetBody(Encoding.UTF8.GetBytes("{\"code\":" + statusCode + "}"), "application/json");
    }

    public static ValueTask DefaultHandler(HttpContext context)
    {
        var request = context.Request;
        var text = "ok:" + request.MethodText + " " + request.Target + ":" + Encoding.UTF8.GetString(request.Body.Span);
        context.Response.SetBody(Encoding.UTF8.GetBytes(text), "text/plain");
        return default;
    }
}
