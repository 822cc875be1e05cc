using System.Text.Json;
using NUnit.Framework;

namespace FastIo.Tests.Deploy;

/// <summary>What one socket.io-client of tests/interop/lb-clients.mjs saw up to a phase report.</summary>
internal sealed record ClientReport(int Index, string Kind, string? Sid, string? Transport, int Connects, string[] Disconnects, string[] Errors, int Received)
{
    /// <summary>The transport a client of this kind ends on: default clients upgrade.</summary>
    public string ExpectedTransport => Kind == "default" ? "websocket" : Kind;

    /// <summary>The clients of a phase report, after checking that every client settled and every message of the phase's round arrived.</summary>
    public static List<ClientReport> Read(JsonElement report, int phase)
    {
        Assert.That(report.GetProperty("phase").GetInt32(), Is.EqualTo(phase), report.ToString());
        Assert.That(report.GetProperty("settled").GetBoolean(), Is.True, "every client connected, joined and on its transport in time: " + report);
        Assert.That(report.GetProperty("delivered").GetBoolean(), Is.True, $"every client received round {phase} from every other client: " + report);
        var clients = new List<ClientReport>();
        foreach (var c in report.GetProperty("clients").EnumerateArray())
        {
            clients.Add(new ClientReport(
                c.GetProperty("index").GetInt32(),
                c.GetProperty("kind").GetString()!,
                c.GetProperty("sid").GetString(),
                c.GetProperty("transport").GetString(),
                c.GetProperty("connects").GetInt32(),
                Strings(c.GetProperty("disconnects")),
                Strings(c.GetProperty("errors")),
                c.GetProperty("received").GetInt32()));
        }

        return clients;
    }

    private static string[] Strings(JsonElement array)
    {
        var strings = new string[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            strings[i++] = item.GetString()!;
        }

        return strings;
    }
}
