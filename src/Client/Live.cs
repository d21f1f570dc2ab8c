using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using RealtimeSync.Client.Internal;

namespace RealtimeSync.Client;

/// <summary>A publication received on a live subscription.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Epoch">The channel's epoch (a new one means its history restarted).</param>
/// <param name="Offset">Its position: per channel, gap-free.</param>
/// <param name="Type">entity.changed, sync.changes-available…</param>
/// <param name="Data">Its data.</param>
public sealed record LivePublication(string Channel, string Epoch, long Offset, string Type, JsonElement Data);

public sealed partial class RealtimeSyncClient
{
    /// <summary>
    /// Subscribes to a channel of the hub (<c>/hubs/sync</c>) with the semantics of <c>realtime-sync.js</c>: every
    /// publication is handed over once and in offset order; a gap, or a reconnect, re-subscribes from the last
    /// offset seen and the missed publications are recovered from the channel's history; when the history no longer
    /// covers them, <paramref name="onResync"/> is called (reload the state) and delivery goes on from the top.
    /// </summary>
    /// <param name="channel">e.g. <c>{tenant}/entities/{type}</c>.</param>
    /// <param name="handler">Called for each publication, one at a time.</param>
    /// <param name="onResync">Called when missed publications cannot be recovered.</param>
    /// <param name="ct">Cancels the subscribing.</param>
    /// <returns>Dispose it to unsubscribe.</returns>
    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<LivePublication, Task> handler, Func<Task>? onResync = null, CancellationToken ct = default)
    {
        live ??= new LiveConnection(options, logger);
        return await live.SubscribeAsync(channel, handler, onResync, ct);
    }
}

/// <summary>One SignalR connection carrying every subscription of a client; it reconnects for ever and recovers each.</summary>
internal sealed class LiveConnection : IAsyncDisposable
{
    private readonly HubConnection connection;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, Subscription> subscriptions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim starting = new(1, 1);

    public LiveConnection(SyncClientOptions options, ILogger logger)
    {
        this.logger = logger;
        connection = new HubConnectionBuilder()
            .WithUrl(new Uri(options.Server, "hubs/sync"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(options.Token);
                if (options.HttpHandler is { } handler)
                {
                    o.HttpMessageHandlerFactory = _ => handler;
                }
            })
            .WithAutomaticReconnect(new ForeverRetry())
            .Build();
        // The handlers only queue: a recovery invokes Subscribe and waits for its answer, which the connection's
        // receive loop could not read while it waited in a handler.
        connection.On<JsonElement>("publication", json =>
        {
            inbox.Writer.TryWrite(Read(json));
            return Task.CompletedTask;
        });
        connection.Reconnected += _ =>
        {
            inbox.Writer.TryWrite(null);
            return Task.CompletedTask;
        };
        pump = Task.Run(PumpAsync);
    }

    private readonly System.Threading.Channels.Channel<LivePublication?> inbox = System.Threading.Channels.Channel.CreateUnbounded<LivePublication?>();
    private readonly Task pump;

    /// <summary>Publications in arrival order; null means "reconnected: recover every subscription".</summary>
    private async Task PumpAsync()
    {
        await foreach (var item in inbox.Reader.ReadAllAsync())
        {
            try
            {
                if (item is null)
                {
                    foreach (var subscription in subscriptions.Values)
                    {
                        ClientLog.Recovering(logger, subscription.Channel, subscription.Offset);
                        await subscription.RecoverAsync(connection, CancellationToken.None);
                    }
                }
                else if (subscriptions.TryGetValue(item.Channel, out var subscription))
                {
                    await subscription.ReceiveAsync(connection, item);
                }
            }
            catch (Exception e)
            {
                // Dropped again while recovering: the next reconnect recovers from the same offset.
                ClientLog.ListenFailed(logger, e);
            }
        }
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<LivePublication, Task> handler, Func<Task>? onResync, CancellationToken ct)
    {
        await starting.WaitAsync(ct);
        try
        {
            if (connection.State == HubConnectionState.Disconnected)
            {
                await connection.StartAsync(ct);
            }
        }
        finally
        {
            starting.Release();
        }

        var subscription = new Subscription(channel, handler, onResync, logger);
        subscriptions[channel] = subscription;
        await subscription.RecoverAsync(connection, ct);
        return new Unsubscribe(() =>
        {
            subscriptions.TryRemove(channel, out _);
            return connection.State == HubConnectionState.Connected ? connection.InvokeAsync("Unsubscribe", channel) : Task.CompletedTask;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await connection.DisposeAsync();
        inbox.Writer.TryComplete();
        await pump;
        starting.Dispose();
    }

    internal static LivePublication Read(JsonElement p) =>
        new(p.GetProperty("channel").GetString()!, p.GetProperty("epoch").GetString()!, p.GetProperty("offset").GetInt64(), p.GetProperty("type").GetString()!, p.GetProperty("data").Clone());

    private sealed class Subscription(string channel, Func<LivePublication, Task> handler, Func<Task>? onResync, ILogger logger)
    {
        private readonly SemaphoreSlim turn = new(1, 1);
        private string? epoch;

        public string Channel => channel;

        public long Offset { get; private set; }

        /// <summary>A live publication: the next one is delivered; an old one dropped; a gap recovers first.</summary>
        public async Task ReceiveAsync(HubConnection connection, LivePublication publication)
        {
            await turn.WaitAsync();
            try
            {
                if (epoch is null)
                {
                    return; // the subscribe answer is not in yet; it carries everything up to its offset
                }

                if (publication.Epoch == epoch && publication.Offset <= Offset)
                {
                    return;
                }

                if (publication.Epoch == epoch && publication.Offset == Offset + 1)
                {
                    Offset = publication.Offset;
                    await handler(publication);
                    return;
                }

                await RecoverCoreAsync(connection, CancellationToken.None);
            }
            finally
            {
                turn.Release();
            }
        }

        public async Task RecoverAsync(HubConnection connection, CancellationToken ct)
        {
            await turn.WaitAsync(ct);
            try
            {
                await RecoverCoreAsync(connection, ct);
            }
            finally
            {
                turn.Release();
            }
        }

        private async Task RecoverCoreAsync(HubConnection connection, CancellationToken ct)
        {
            object? since = epoch is null ? null : new { epoch, offset = Offset };
            var answer = await connection.InvokeAsync<JsonElement>("Subscribe", channel, since, ct);
            if (answer.TryGetProperty("resyncRequired", out var resync) && resync.ValueKind == JsonValueKind.True)
            {
                ClientLog.ResyncRequired(logger, channel, Offset);
                epoch = answer.GetProperty("epoch").GetString();
                Offset = answer.GetProperty("offset").GetInt64();
                if (onResync is not null)
                {
                    await onResync();
                }

                return;
            }

            var first = epoch is null;
            var newEpoch = answer.GetProperty("epoch").GetString();
            if (!first && newEpoch != epoch)
            {
                // The channel's history restarted: what was missed cannot be listed.
                epoch = newEpoch;
                Offset = answer.GetProperty("offset").GetInt64();
                if (onResync is not null)
                {
                    await onResync();
                }

                return;
            }

            epoch = newEpoch;
            if (first)
            {
                Offset = answer.GetProperty("offset").GetInt64();
                return;
            }

            foreach (var json in answer.GetProperty("publications").EnumerateArray())
            {
                var publication = Read(json);
                if (publication.Offset > Offset)
                {
                    Offset = publication.Offset;
                    await handler(publication);
                }
            }
        }
    }

    private sealed class ForeverRetry : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext context) =>
            TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Min(context.PreviousRetryCount, 6))));
    }

    private sealed class Unsubscribe(Func<Task> dispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await dispose();
    }
}
