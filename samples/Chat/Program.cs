using System.Net;
using FastIo.Hosting;
using FastIo.Samples.Chat;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// The generic host brings configuration (--port 3001 on the command line, or PORT-style settings), console
// logging and Ctrl+C handling; AddFastIo starts FastIo with it and drains the sessions on the way out.
var builder = Host.CreateApplicationBuilder(args);
var port = builder.Configuration.GetValue("port", 3000);
builder.Services
    .AddFastIo(host => host.Endpoints.Add(new IPEndPoint(IPAddress.IPv6Any, port)))
    .Configure((_, io) => ChatApp.Configure(io));

await builder.Build().RunAsync();
