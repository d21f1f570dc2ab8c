using System.Text.Json;
using System.Text.Json.Nodes;
using RealtimeSync.Client;
using RealtimeSync.Client.Cli;

// rs: exit 0 on success, 1 on a failure (the server's problem detail on stderr), 2 on a usage error.
try
{
    var cli = CliArgs.Parse(args);
    if (cli.Verb is "help" or "-h")
    {
        Console.Out.WriteLine(Commands.Usage);
        return 0;
    }

    if (!Commands.Known.Contains(cli.Verb))
    {
        throw new UsageException($"unknown command '{cli.Verb}'");
    }

    return await Commands.RunAsync(cli);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"rs: {e.Message}");
    Console.Error.WriteLine(Commands.Usage);
    return 2;
}
catch (SyncServerException e)
{
    Console.Error.WriteLine($"rs: the server refused: {e.Message}");
    return 1;
}
catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"rs: the server is unreachable: {e.Message}");
    return 1;
}
catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or IOException or JsonException)
{
    Console.Error.WriteLine($"rs: {e.Message}");
    return 1;
}
catch (OperationCanceledException e)
{
    Console.Error.WriteLine($"rs: the server did not answer in time: {e.Message}");
    return 1;
}
catch (Exception e)
{
    // Anything else is still a failure of this run, never a crash: scripts get exit 1 and a message.
    Console.Error.WriteLine($"rs: {e.GetType().Name}: {e.Message}");
    return 1;
}
