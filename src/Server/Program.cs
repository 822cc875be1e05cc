using FastIo.Server;

// Socket completions run on the socket engine's own threads (one per core) instead of being handed to the thread pool,
// and FastIo then processes each connection's bytes right there as its shard's batch: no thread hop per message
// (bench/RESULTS.md: a third of the CPU per ack at a moderate fixed rate). The runtime reads this once, at its first
// socket, so it is set before anything else; an explicit DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 opts out.
// The price, as in Node: a handler that blocks stalls the other connections of its socket thread.
if (Environment.GetEnvironmentVariable(CommandLine.InlineCompletionsVariable) is null)
{
    Environment.SetEnvironmentVariable(CommandLine.InlineCompletionsVariable, "1");
}

return await CommandLine.RunAsync(args).ConfigureAwait(false);
