using System.Net;
using System.Text.Json;
using FastIo.Hosting;
using FastIo.Samples.Chat;
using FastIo.Tests.Hosting;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace FastIo.Tests.Samples;

/// <summary>The Chat sample's server configuration (AddFastIo + <see cref="ChatApp.Configure"/>) in-process, driven by raw clients.</summary>
[TestFixture]
public sealed class ChatAppTests
{
    private IHost _host = null!;
    private int _port;
    private readonly List<RawSocketIOClient> _clients = new();

    [SetUp]
    public async Task StartAsync()
    {
        (_host, _port) = await ChatServer.StartAsync();
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await _host.StopAsync();
        _host.Dispose();
    }

    private async Task<RawSocketIOClient> ConnectAsync(string name)
    {
        var client = new RawSocketIOClient();
        _clients.Add(client);
        await client.ConnectAsync(_port, JsonSerializer.Serialize(new { name }));
        return client;
    }

    private static async Task<JsonElement> JoinAsync(RawSocketIOClient client, string room, long ackId)
    {
        await client.EmitAsync("join", ackId, room);
        return (await client.NextAckAsync(ackId))[0];
    }

    [Test]
    public async Task Two_clients_in_one_room_see_each_others_messages_and_another_room_sees_none()
    {
        var alice = await ConnectAsync("alice");
        var bob = await ConnectAsync("bob");
        var carol = await ConnectAsync("carol");
        await JoinAsync(alice, "den", 1);
        await JoinAsync(carol, "attic", 1);
        var bobJoined = await JoinAsync(bob, "den", 1);
        Assert.That(bobJoined.GetProperty("users").EnumerateArray().Select(u => u.GetString()), Is.EqualTo(new[] { "alice", "bob" }));
        Assert.That((await alice.NextEventAsync("user joined"))[0].GetProperty("user").GetString(), Is.EqualTo("bob"));

        await alice.EmitAsync("message", 2, "hi bob");
        Assert.That((await alice.NextAckAsync(2))[0].GetProperty("ok").GetBoolean(), Is.True);
        var atBob = (await bob.NextEventAsync("message"))[0];
        Assert.Multiple(() =>
        {
            Assert.That(atBob.GetProperty("user").GetString(), Is.EqualTo("alice"));
            Assert.That(atBob.GetProperty("room").GetString(), Is.EqualTo("den"));
            Assert.That(atBob.GetProperty("text").GetString(), Is.EqualTo("hi bob"));
        });

        await bob.EmitAsync("message", 2, "hi alice");
        var atAlice = (await alice.NextEventAsync("message"))[0];
        Assert.That(atAlice.GetProperty("text").GetString(), Is.EqualTo("hi alice"));

        // A round trip on each connection after the broadcasts: anything the room sent them is in before the ack.
        await carol.EmitAsync("users", 3);
        Assert.That((await carol.NextAckAsync(3))[0].EnumerateArray().Select(u => u.GetString()), Is.EqualTo(new[] { "carol" }));
        await alice.EmitAsync("users", 3);
        await alice.NextAckAsync(3);
        Assert.Multiple(() =>
        {
            Assert.That(carol.Skipped, Has.None.StartsWith("42[\"message\""));
            Assert.That(carol.Skipped, Has.None.StartsWith("42[\"user joined\""));
            Assert.That(alice.Skipped, Has.None.Contains("hi bob"), "the sender does not get its own message back");
        });
    }

    [Test]
    public async Task Typing_and_leaving_reach_the_rest_of_the_room()
    {
        var alice = await ConnectAsync("alice");
        var bob = await ConnectAsync("bob");
        await JoinAsync(alice, "den", 1);
        await JoinAsync(bob, "den", 1);

        await bob.EmitAsync("typing", null, true);
        var typing = (await alice.NextEventAsync("typing"))[0];
        Assert.Multiple(() =>
        {
            Assert.That(typing.GetProperty("user").GetString(), Is.EqualTo("bob"));
            Assert.That(typing.GetProperty("typing").GetBoolean(), Is.True);
        });

        await bob.DisposeAsync();
        var left = (await alice.NextEventAsync("user left"))[0];
        Assert.Multiple(() =>
        {
            Assert.That(left.GetProperty("user").GetString(), Is.EqualTo("bob"));
            Assert.That(left.GetProperty("reason").GetString(), Is.EqualTo("transport close"));
        });

        await alice.EmitAsync("users", 2);
        Assert.That((await alice.NextAckAsync(2))[0].EnumerateArray().Select(u => u.GetString()), Is.EqualTo(new[] { "alice" }));
    }

    [Test]
    public async Task Switching_rooms_tells_the_old_room_and_a_message_outside_a_room_is_refused()
    {
        var alice = await ConnectAsync("alice");
        var bob = await ConnectAsync("bob");
        await bob.EmitAsync("message", 1, "anyone?");
        Assert.That((await bob.NextAckAsync(1))[0].GetProperty("error").GetString(), Is.EqualTo("join a room first"));

        await JoinAsync(alice, "den", 2);
        await JoinAsync(bob, "den", 2);
        var moved = await JoinAsync(bob, "attic", 3);
        Assert.That(moved.GetProperty("room").GetString(), Is.EqualTo("attic"));
        var left = (await alice.NextEventAsync("user left"))[0];
        Assert.That(left.GetProperty("reason").GetString(), Is.EqualTo("left"));

        // A room named like a socket id is still a chat room, not that socket's private room.
        await JoinAsync(bob, alice.Sid!, 4);
        await bob.EmitAsync("message", 5, "psst");
        await bob.NextAckAsync(5);
        await alice.EmitAsync("users", 6);
        await alice.NextAckAsync(6);
        Assert.That(alice.Skipped, Has.None.Contains("psst"));
    }
}
