using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Client.Cli;

/// <summary>The verbs of <c>rs</c>; each prints JSON (one object, or JSON lines for lists) on stdout.</summary>
internal static class Commands
{
    public const string Usage = """
        usage: rs [--server URL] [--token JWT] [--data DIR] [--tenant T] COMMAND …
               (or RS_SERVER, RS_TOKEN, RS_DATA)
          pull | push | sync               exchange with the server (sync = push then pull)
          status                           {state, pending, conflicts, lastSync}
          list TYPE                        the local entities of TYPE, one JSON object a line
          get TYPE ID                      the entity's fields as one JSON object
          create TYPE ID field=value…      local write (works offline; goes up with push/sync)
          set TYPE ID field=value…         local write of the given fields
          delete TYPE ID                   local delete
          outbox                           unacknowledged events, one a line
          conflicts                        open conflicts with local and server data, one a line
          resolve EVENTID accept-server|keep-local|merge [field=value…]
          watch CHANNEL [--count N]        live publications as JSON lines (recovers across reconnects)
          docs sync FOLDER                 mirror the tenant's documents into FOLDER (sha256 verified)
          docs put FILE --id ID            upload FILE as the next version of document ID (409 when stale)
        field values: JSON when they parse as JSON (42, true, null, "text"), else text.
        exit codes: 0 success, 1 failure (the server's problem detail on stderr), 2 usage error.
        """;

    public static readonly string[] Known = ["pull", "push", "sync", "status", "list", "get", "create", "set", "delete", "outbox", "conflicts", "resolve", "watch", "docs"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web) { WriteIndented = false };

    public static async Task<int> RunAsync(CliArgs cli)
    {
        // Every argument is checked before the store is opened: a usage error changes nothing.
        var check = Validate(cli);
        var server = cli.Require("--server", "RS_SERVER");
        var token = cli.Require("--token", "RS_TOKEN");
        var data = cli.Option("--data", "RS_DATA") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "rs");
        if (!Uri.TryCreate(server.EndsWith('/') ? server : server + "/", UriKind.Absolute, out var serverUri))
        {
            throw new UsageException($"--server '{server}' is not a URL");
        }

        await using var client = await RealtimeSyncClient.OpenAsync(new SyncClientOptions
        {
            Server = serverUri,
            Token = token,
            Tenant = cli.Option("--tenant"),
            DatabasePath = Path.Combine(data, "rs.db"),
            MaxRetries = 2,
            RetryBaseDelay = TimeSpan.FromMilliseconds(200),
            MaxRetryDelay = TimeSpan.FromSeconds(30),
            ListenForChanges = false,
        });
        switch (cli.Verb)
        {
            case "pull":
                Write(await client.PullAsync());
                break;
            case "push":
                Write(await client.PushAsync());
                break;
            case "sync":
                var (push, pull) = await client.SyncAsync();
                Write(new { push, pull });
                break;
            case "status":
                var status = client.Status;
                Write(new { state = status.State.ToString().ToLowerInvariant(), pending = status.Pending, conflicts = status.Conflicts, lastSync = status.LastSuccessfulSync, tenant = client.Tenant, clientId = client.ClientId });
                break;
            case "list":
                foreach (var entity in await client.ListAsync(check[0]))
                {
                    Write(new { id = entity.Id, serverVersion = entity.ServerVersion, pending = entity.HasPendingChanges, fields = entity.Fields });
                }

                break;
            case "get":
                var found = await client.GetAsync(check[0], check[1]) ?? throw new KeyNotFoundException($"there is no {check[0]} '{check[1]}' locally");
                Console.Out.WriteLine(found.Fields.ToJsonString());
                break;
            case "create":
                Write(new { eventId = await client.CreateAsync(check[0], check[1], cli.Fields(2)) });
                break;
            case "set":
                Write(new { eventId = await client.UpdateAsync(check[0], check[1], cli.Fields(2)) });
                break;
            case "delete":
                Write(new { eventId = await client.DeleteAsync(check[0], check[1]) });
                break;
            case "outbox":
                foreach (var e in await client.OutboxAsync())
                {
                    Write(new { eventId = e.Id, entityType = e.EntityType, entityId = e.EntityId, operation = e.Operation.ToString().ToUpperInvariant(), status = e.Status.ToString().ToUpperInvariant(), baseVersion = e.BaseVersion, attempts = e.Attempts, lastAttemptAt = e.LastAttemptAt, error = e.Error, payload = e.Payload });
                }

                break;
            case "conflicts":
                foreach (var c in await client.ConflictsAsync())
                {
                    Write(new { eventId = c.EventId, entityType = c.EntityType, entityId = c.EntityId, operation = c.Operation.ToString().ToUpperInvariant(), reason = c.Reason, conflictingFields = c.ConflictingFields, local = c.LocalData, server = c.ServerData });
                }

                break;
            case "resolve":
                var choice = Choice(check[1]);
                await client.ResolveAsync(check[0], choice, choice == ConflictChoice.Merge ? cli.Fields(2) : null);
                Write(new { eventId = check[0], resolution = check[1] });
                break;
            case "docs" when check[0] == "sync":
                Write(await client.MirrorDocumentsAsync(check[1]));
                break;
            case "docs":
                var id = cli.Option("--id")!;
                Write(await client.UploadDocumentAsync(id, check[1]));
                break;
            case "watch":
                return await WatchAsync(client, check[0], cli.Option("--count") is { } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : null);
        }

        return 0;
    }

    private static string[] Validate(CliArgs cli)
    {
        switch (cli.Verb)
        {
            case "list":
                return cli.Args(1, "list TYPE");
            case "get":
                return cli.Args(2, "get TYPE ID");
            case "delete":
                return cli.Args(2, "delete TYPE ID");
            case "create" or "set":
                var ids = cli.Args(2, $"{cli.Verb} TYPE ID field=value…", fields: true);
                if (cli.Fields(2).Count == 0)
                {
                    throw new UsageException($"usage: rs {cli.Verb} TYPE ID field=value… (at least one field)");
                }

                return ids;
            case "resolve":
                var resolve = cli.Args(2, "resolve EVENTID accept-server|keep-local|merge [field=value…]", fields: true);
                var choice = Choice(resolve[1]);
                var fields = cli.Fields(2);
                if (choice == ConflictChoice.Merge ? fields.Count == 0 : fields.Count > 0)
                {
                    throw new UsageException(choice == ConflictChoice.Merge ? "merge needs the merged values as field=value…" : $"{resolve[1]} takes no field values");
                }

                return resolve;
            case "docs":
                var docs = cli.Args(2, "docs sync FOLDER | docs put FILE --id ID");
                if (docs[0] is not ("sync" or "put"))
                {
                    throw new UsageException("usage: rs docs sync FOLDER | docs put FILE --id ID");
                }

                if (docs[0] == "put" && string.IsNullOrEmpty(cli.Option("--id")))
                {
                    throw new UsageException("usage: rs docs put FILE --id ID");
                }

                if (docs[0] == "put" && !File.Exists(docs[1]))
                {
                    throw new UsageException($"there is no file '{docs[1]}'");
                }

                return docs;
            case "watch":
                var channel = cli.Args(1, "watch CHANNEL [--count N]");
                if (cli.Option("--count") is { } count && (!int.TryParse(count, out var n) || n < 1))
                {
                    throw new UsageException("--count must be a whole number >= 1");
                }

                return channel;
            default:
                return cli.Args(0, cli.Verb);
        }
    }

    private static ConflictChoice Choice(string text) => text switch
    {
        "accept-server" => ConflictChoice.AcceptServer,
        "keep-local" => ConflictChoice.KeepLocal,
        "merge" => ConflictChoice.Merge,
        _ => throw new UsageException($"'{text}' is not accept-server, keep-local or merge"),
    };

    private static async Task<int> WatchAsync(RealtimeSyncClient client, string channel, int? count)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        var seen = 0;
        var output = new SemaphoreSlim(1, 1);
        await using var subscription = await client.SubscribeAsync(channel, async p =>
        {
            await output.WaitAsync();
            try
            {
                Write(new { channel = p.Channel, epoch = p.Epoch, offset = p.Offset, type = p.Type, data = p.Data });
                if (count is not null && ++seen >= count)
                {
                    await stop.CancelAsync();
                }
            }
            finally
            {
                output.Release();
            }
        }, () =>
        {
            Write(new { channel, type = "resync-required" });
            return Task.CompletedTask;
        }, stop.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C, or --count reached
        }

        return 0;
    }

    private static void Write<T>(T value)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));
        Console.Out.Flush();
    }
}
