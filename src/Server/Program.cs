using FastIo.Server;

return await CommandLine.RunAsync(args).ConfigureAwait(false);
