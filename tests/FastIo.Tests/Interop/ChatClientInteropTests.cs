using System.Net;
using FastIo.Hosting;
using FastIo.Samples.Chat;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>The Chat sample's server in-process, with the official socket.io-client the sample's client.mjs uses.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ChatClientInteropTests
{
    [Test]
    public async Task Two_socket_io_clients_in_one_room_chat_with_each_other()
    {
        var (started, port) = await FastIo.Tests.Samples.ChatServer.StartAsync();
        using var host = started;
        try
        {
            var result = await NodeScript.RunAsync("chat-clients.mjs", $"http://127.0.0.1:{port}");
            Assert.Multiple(() =>
            {
                Assert.That(result.GetProperty("users").GetRawText(), Is.EqualTo("""["alice","bob"]"""));
                Assert.That(result.GetProperty("arrival").GetString(), Is.EqualTo("bob"));
                Assert.That(result.GetProperty("sent").GetRawText(), Is.EqualTo("""{"ok":true}"""));
                Assert.That(result.GetProperty("fromAlice").GetString(), Is.EqualTo("alice: hi bob"));
                Assert.That(result.GetProperty("fromBob").GetString(), Is.EqualTo("bob: hi alice"));
                Assert.That(result.GetProperty("left").GetString(), Is.EqualTo("bob (client namespace disconnect)"));
            });
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
