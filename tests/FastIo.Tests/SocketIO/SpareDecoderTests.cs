using FastIo.SocketIO.Protocol;
using NUnit.Framework;

namespace FastIo.Tests.SocketIO;

/// <summary>The per-thread spare decoder lent to messages off the text-event fast path.</summary>
[TestFixture]
public class SpareDecoderTests
{
    [Test]
    public void ReturnedDecoderIsLentAgainOnTheSameThreadForTheSameParser()
    {
        var parser = new SocketIOJsonParser();
        var first = SpareDecoder.Rent(parser);
        var second = SpareDecoder.Rent(parser);
        Assert.That(second, Is.Not.SameAs(first), "a decoder in use is never lent twice");

        SpareDecoder.Return(parser, first);
        Assert.That(SpareDecoder.Rent(parser), Is.SameAs(first));
        Assert.That(SpareDecoder.Rent(parser), Is.Not.SameAs(first), "the spare was taken");
    }

    [Test]
    public void SpareOfAnotherParserIsNotLent()
    {
        var json = new SocketIOJsonParser();
        var msgPack = new SocketIOMsgPackParser();
        var jsonDecoder = SpareDecoder.Rent(json);
        SpareDecoder.Return(json, jsonDecoder);

        var decoder = SpareDecoder.Rent(msgPack);
        Assert.That(decoder, Is.Not.SameAs(jsonDecoder));
        Assert.That(decoder, Is.InstanceOf<SocketIOMsgPackDecoder>());

        // Even another instance of the same kind: its options (attachment limit) may differ.
        var otherJson = new SocketIOJsonParser(maxAttachments: 3);
        SpareDecoder.Return(json, jsonDecoder);
        Assert.That(SpareDecoder.Rent(otherJson), Is.Not.SameAs(jsonDecoder));
    }

    [Test]
    public void SpareIsPerThread()
    {
        // Synchronous throughout: an await could resume this test on another thread.
        var parser = new SocketIOJsonParser();
        var decoder = SpareDecoder.Rent(parser);
        SpareDecoder.Return(parser, decoder);

        ISocketPacketDecoder? onOtherThread = null;
        var other = new Thread(() => onOtherThread = SpareDecoder.Rent(parser));
        other.Start();
        other.Join();
        Assert.That(onOtherThread, Is.Not.Null.And.Not.SameAs(decoder), "another thread has a spare of its own");
        Assert.That(SpareDecoder.Rent(parser), Is.SameAs(decoder), "this thread's spare is still there");
    }
}
