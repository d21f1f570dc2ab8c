using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Shared.Realtime;
using StackExchange.Redis;
using StreamPosition = RealtimeSync.Shared.Realtime.StreamPosition;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// Channel history shared by every node through Redis, and the cross-node fan-out of publications.
/// <para>
/// One Lua script assigns a channel's next offset, appends the publication to the channel's stream
/// (bounded by count; age is applied on read), and publishes it to every node (this one included), so all
/// nodes deliver one channel in one order. Each channel has an epoch; when its history is lost (Redis
/// flushed or expired) a new epoch starts and subscribers are told to resync.
/// </para>
/// <para>
/// While Redis is unreachable a node keeps serving its own subscribers: it continues the channel's offsets
/// from the last position it knows and delivers locally, keeping what it published in a bounded buffer.
/// When Redis is back it replays the buffer at the same offsets, so subscribers on other nodes receive the
/// missed publications in order and without duplicates. When that is impossible (another node appended
/// meanwhile, or the buffer overflowed) the channel gets a new epoch and its subscribers resync.
/// </para>
/// </summary>
public sealed partial class RedisChannelHistory : IChannelHistory, IHostedService, IDisposable
{
    // KEYS: meta, log. ARGV: newEpoch, type, data, sourceSeq|'', maxCount, ttlSeconds, nowMs, pubsChannel, channel, node, sourceLog.
    // A change is skipped when this channel already has it (same source log, sequence not newer); another log
    // (a reset or restored database starts its sequences again) is always taken.
    private const string AppendScript = """
        local e = redis.call('HGET', KEYS[1], 'e')
        if not e then
          e = ARGV[1]
          redis.call('DEL', KEYS[2])
          redis.call('HSET', KEYS[1], 'e', e, 't', 0, 's', 0)
        end
        if ARGV[4] ~= '' then
          if redis.call('HGET', KEYS[1], 'sl') == ARGV[11] and tonumber(ARGV[4]) <= tonumber(redis.call('HGET', KEYS[1], 's') or '0') then return {e, -1} end
          redis.call('HSET', KEYS[1], 's', ARGV[4], 'sl', ARGV[11])
        end
        local t = redis.call('HINCRBY', KEYS[1], 't', 1)
        redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], t .. '-1', 'y', ARGV[2], 'd', ARGV[3], 'at', ARGV[7])
        redis.call('EXPIRE', KEYS[1], ARGV[6])
        redis.call('EXPIRE', KEYS[2], ARGV[6])
        redis.call('PUBLISH', ARGV[8], ARGV[9] .. '\n' .. e .. '\n' .. t .. '\n' .. ARGV[2] .. '\n' .. ARGV[10] .. '\n\n' .. ARGV[3])
        return {e, t}
        """;

    // Replays a publication made during an outage at the offset it was delivered with, if the channel is
    // still exactly where this node left it. KEYS: meta, log. ARGV: epoch, offset, type, data, sourceSeq|'',
    // maxCount, ttlSeconds, nowMs, pubsChannel, channel, node, sourceLog. Returns 1 when replayed, 0 on conflict.
    private const string ReplayScript = """
        local e = redis.call('HGET', KEYS[1], 'e')
        local t = tonumber(redis.call('HGET', KEYS[1], 't') or '-1')
        if e ~= ARGV[1] or t ~= tonumber(ARGV[2]) - 1 then return 0 end
        if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 's', ARGV[5], 'sl', ARGV[12]) end
        redis.call('HSET', KEYS[1], 't', ARGV[2])
        redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[6], ARGV[2] .. '-1', 'y', ARGV[3], 'd', ARGV[4], 'at', ARGV[8])
        redis.call('EXPIRE', KEYS[1], ARGV[7])
        redis.call('EXPIRE', KEYS[2], ARGV[7])
        redis.call('PUBLISH', ARGV[9], ARGV[10] .. '\n' .. e .. '\n' .. ARGV[2] .. '\n' .. ARGV[3] .. '\n' .. ARGV[11] .. '\n' .. ARGV[11] .. '\n' .. ARGV[4])
        return 1
        """;

    // A new epoch for a channel whose offsets can no longer be trusted. KEYS: meta, log. ARGV: newEpoch, sourceSeq|''.
    private const string ResetScript = """
        redis.call('DEL', KEYS[2])
        redis.call('HSET', KEYS[1], 'e', ARGV[1], 't', 0, 's', ARGV[2] ~= '' and ARGV[2] or '0')
        return 1
        """;

    // KEYS: meta, log. ARGV: first wanted id ('' for none), newEpoch, ttlSeconds. Returns {epoch, top, oldest entry, entries}.
    // A channel nobody published to yet gets its epoch here, so the first publication continues the position a
    // subscriber was given instead of looking like a new history (the meta key expires like any other).
    private const string ReadScript = """
        local e = redis.call('HGET', KEYS[1], 'e')
        if not e then
          e = ARGV[2]
          redis.call('DEL', KEYS[2])
          redis.call('HSET', KEYS[1], 'e', e, 't', 0, 's', 0)
          redis.call('EXPIRE', KEYS[1], ARGV[3])
        end
        local t = redis.call('HGET', KEYS[1], 't')
        local items = {}
        if ARGV[1] ~= '' then items = redis.call('XRANGE', KEYS[2], ARGV[1], '+') end
        return {e, t, redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1), items}
        """;

    private readonly RedisConnection redis;
    private readonly ChannelFanOut fanOut;
    private readonly IConfiguration configuration;
    private readonly TimeProvider clock;
    private readonly ILogger<RedisChannelHistory> log;
    private readonly string node;
    // Everything this node delivers from the fan-out goes through one queue, in order: received messages,
    // and catch-up requests after a reconnect.
    private readonly Channel<Incoming> incoming = Channel.CreateBounded<Incoming>(new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly ConcurrentDictionary<string, StreamPosition> delivered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamPosition> known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ChangeSource> knownSource = new(StringComparer.Ordinal);
    private readonly object outageLock = new();
    private readonly LinkedList<BufferedPublication> buffer = new();
    private readonly HashSet<string> overflowed = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private readonly SemaphoreSlim replaying = new(1, 1);
    private Task? consumer;
    private Task? replayer;
    private long received;
    private long appendErrors;
    private long catchUpReads;

    public RedisChannelHistory(RedisConnection redis, ChannelFanOut fanOut, IConfiguration configuration, NodeInfo node, TimeProvider clock, ILogger<RedisChannelHistory> log)
    {
        this.redis = redis;
        this.fanOut = fanOut;
        this.configuration = configuration;
        this.clock = clock;
        this.log = log;
        this.node = node.NodeId;
    }

    private string Prefix => configuration["Redis:ChannelPrefix"] is { Length: > 0 } prefix ? prefix : "rs";

    private string PubsChannel => $"{Prefix}:pubs";

    private int MaxBuffered => configuration.GetValue<int?>("Realtime:Outage:MaxBuffered") ?? 10_000;

    /// <summary>Publications kept for replay because Redis was unreachable.</summary>
    public int BufferedCount
    {
        get
        {
            lock (outageLock)
            {
                return buffer.Count;
            }
        }
    }

    public long Received => Interlocked.Read(ref received);

    public long AppendErrors => Interlocked.Read(ref appendErrors);

    /// <summary>Times this node read a channel's history to fill a gap in the fan-out (lost or out-of-order messages).</summary>
    public long CatchUpReads => Interlocked.Read(ref catchUpReads);

    public Task StartAsync(CancellationToken ct)
    {
        redis.Multiplexer.ConnectionRestored += (_, _) =>
        {
            ScheduleReplay();
            _ = CatchUpSoonAsync();
        };
        TrySubscribe();
        consumer = Task.Run(ConsumeAsync);
        replayer = Task.Run(ReplayLoopAsync);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken ct)
    {
        await stopping.CancelAsync();
        incoming.Writer.TryComplete();
        foreach (var task in new[] { consumer, replayer })
        {
            if (task is not null)
            {
                await task.WaitAsync(ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    public async Task<Appended?> AppendAsync(string channel, string type, JsonElement data, ChangeSource? source = null, CancellationToken ct = default)
    {
        var window = HistoryWindow.From(configuration);
        var json = data.GetRawText();
        if (BufferedCount == 0)
        {
            try
            {
                RedisValue[] args =
                [
                    NewEpoch(), type, json, source?.Seq.ToString(CultureInfo.InvariantCulture) ?? "", window.MaxCount, TtlSeconds(window),
                    clock.GetUtcNow().ToUnixTimeMilliseconds(), PubsChannel, channel, node, source?.Log ?? "",
                ];
                var reply = await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(AppendScript, Keys(channel), args);
                var result = (RedisResult[])reply!;
                var offset = (long)result[1];
                if (offset < 0)
                {
                    return null; // another node already published this change
                }

                var publication = new Publication(channel, (string)result[0]!, offset, type, data);
                Remember(publication, source);
                return new Appended(publication, DeliveredByHistory: true);
            }
            catch (Exception e) when (RedisFailure.IsOutage(e) || e is InvalidOperationException)
            {
                Interlocked.Increment(ref appendErrors);
                LogOutage(log, e, channel);
            }
        }

        // Redis unreachable (or a backlog is still being replayed, which must stay in front of new publications).
        return AppendLocally(channel, type, data, source);
    }

    public async Task<SubscribeResult> ReadSinceAsync(string channel, StreamPosition? since, CancellationToken ct = default)
    {
        var window = HistoryWindow.From(configuration);
        RedisResult[] result;
        try
        {
            RedisValue[] args = [since is null ? "" : $"{since.Offset + 1}-0", NewEpoch(), TtlSeconds(window)];
            var reply = await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(ReadScript, Keys(channel), args);
            result = (RedisResult[])reply!;
        }
        catch (Exception e) when (RedisFailure.IsOutage(e) || e is InvalidOperationException)
        {
            LogOutage(log, e, channel);
            return ReadLocally(channel, since);
        }

        var epoch = (string)result[0]!;
        var top = (long)result[1];
        known.AddOrUpdate(channel, new StreamPosition(epoch, top), (_, old) => old.Epoch == epoch && old.Offset > top ? old : new StreamPosition(epoch, top));
        if (since is null)
        {
            return new SubscribeResult(epoch, top, false, [], false);
        }

        var cutoff = clock.GetUtcNow().Add(-window.MaxAge).ToUnixTimeMilliseconds();
        var items = ((RedisResult[])result[3]!).Select(r => ToPublication(channel, epoch, r)).Where(p => p.At >= cutoff).Select(p => p.Publication).ToList();
        var oldest = ((RedisResult[])result[2]!).Select(r => ToPublication(channel, epoch, r)).FirstOrDefault();
        var oldestOffset = oldest.Publication is null ? top + 1 : oldest.At >= cutoff ? oldest.Publication.Offset : items.FirstOrDefault()?.Offset ?? top + 1;

        // A client that has seen nothing (offset 0) can start from any epoch whose history is complete.
        var sameHistory = since.Epoch == epoch || since.Offset == 0;
        var covered = sameHistory && since.Offset <= top && since.Offset + 1 >= oldestOffset;
        return covered
            ? new SubscribeResult(epoch, top, true, items.Where(p => p.Offset > since.Offset).ToList(), false)
            : new SubscribeResult(epoch, top, false, [], true);
    }

    // The cancellation source is not disposed: reconnect callbacks of the multiplexer may still read its token
    // after the host stopped, and a source without timers holds nothing that needs releasing.
    public void Dispose() => replaying.Dispose();

    private Appended? AppendLocally(string channel, string type, JsonElement data, ChangeSource? source)
    {
        lock (outageLock)
        {
            if (source is not null)
            {
                if (knownSource.TryGetValue(channel, out var last) && last.Log == source.Log && source.Seq <= last.Seq)
                {
                    return null;
                }

                knownSource[channel] = source;
            }

            Publication publication;
            bool handedOut;
            if (known.TryGetValue(channel, out var position) && position.Epoch.Length > 0)
            {
                // Subscribers here know this channel: continue its offsets so they stay gap-free.
                publication = new Publication(channel, position.Epoch, position.Offset + 1, type, data);
                known[channel] = new StreamPosition(position.Epoch, publication.Offset);
                handedOut = true;
            }
            else
            {
                // Nobody on this node holds a position in this channel; in-process listeners get it without an offset.
                publication = new Publication(channel, "", 0, type, data);
                handedOut = false;
            }

            buffer.AddLast(new BufferedPublication(publication, source, handedOut));
            if (handedOut)
            {
                delivered[channel] = new StreamPosition(publication.Epoch, publication.Offset); // the publisher delivers it right away
            }

            while (buffer.Count > MaxBuffered)
            {
                overflowed.Add(buffer.First!.Value.Publication.Channel);
                buffer.RemoveFirst();
            }

            ScheduleReplay();
            return new Appended(publication, DeliveredByHistory: false);
        }
    }

    private SubscribeResult ReadLocally(string channel, StreamPosition? since)
    {
        // Redis is unreachable: only "nothing missed" can be answered from what this node knows.
        if (known.TryGetValue(channel, out var position) && position.Epoch.Length > 0)
        {
            var current = since is not null && since.Epoch == position.Epoch && since.Offset == position.Offset;
            return since is null || current
                ? new SubscribeResult(position.Epoch, position.Offset, since is not null, [], false)
                : new SubscribeResult(position.Epoch, position.Offset, false, [], true);
        }

        return new SubscribeResult("", 0, false, [], since is not null && since.Offset > 0);
    }

    private volatile bool subscribed;

    /// <summary>Subscribes to the fan-out once Redis answers (a node may start while Redis is down).</summary>
    private void TrySubscribe()
    {
        if (subscribed)
        {
            return;
        }

        try
        {
            // The queue form, not Subscribe(channel, handler): StackExchange.Redis 2.x runs each message's
            // handler as its own thread-pool work item, so two publications could reach the queue below in
            // the wrong order, and every swap cost a catch-up read from Redis in the one consumer loop (a
            // delay for every publication behind it). The queue hands messages over in the order Redis sent
            // them (1.2.6 did that by default: PreserveAsyncOrder).
            redis.Multiplexer.GetSubscriber().Subscribe(RedisChannel.Literal(PubsChannel))
                .OnMessage(message => { incoming.Writer.TryWrite(new Incoming((string)message.Message!, null)); });
            subscribed = true;
        }
        catch (Exception e) when (RedisFailure.IsOutage(e))
        {
            LogOutage(log, e, PubsChannel);
        }
    }

    private void ScheduleReplay()
    {
        if (!stopping.IsCancellationRequested && BufferedCount > 0 && replaying.CurrentCount > 0)
        {
            _ = Task.Run(ReplayAsync);
        }
    }

    private async Task ReplayLoopAsync()
    {
        // ConnectionRestored is the fast path; this retries for restores the event does not report.
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stopping.Token);
                TrySubscribe();
                if (BufferedCount > 0)
                {
                    await ReplayAsync();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReplayAsync()
    {
        if (!await replaying.WaitAsync(0))
        {
            return;
        }

        try
        {
            var window = HistoryWindow.From(configuration);
            var db = redis.Multiplexer.GetDatabase();
            var reset = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                BufferedPublication next;
                bool resetFirst;
                lock (outageLock)
                {
                    if (buffer.First is null)
                    {
                        return;
                    }

                    next = buffer.First.Value;
                    resetFirst = overflowed.Remove(next.Publication.Channel);
                }

                var channel = next.Publication.Channel;
                var seq = next.Source?.Seq.ToString(CultureInfo.InvariantCulture) ?? "";
                var sourceLog = next.Source?.Log ?? "";
                var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
                if (resetFirst)
                {
                    await ResetAsync(db, channel);
                    reset.Add(channel);
                    LogReset(log, channel, "outage buffer overflowed");
                }

                var replayed = false;
                if (next.HandedOut && !reset.Contains(channel))
                {
                    RedisValue[] replayArgs =
                    [
                        next.Publication.Epoch, next.Publication.Offset, next.Publication.Type, next.Publication.Data.GetRawText(), seq,
                        window.MaxCount, TtlSeconds(window), now, PubsChannel, channel, node, sourceLog,
                    ];
                    replayed = (long)await db.ScriptEvaluateAsync(ReplayScript, Keys(channel), replayArgs) == 1;
                    if (!replayed)
                    {
                        // Someone else appended meanwhile: the offsets this node handed out cannot stand.
                        await ResetAsync(db, channel);
                        reset.Add(channel);
                        LogReset(log, channel, "another node appended while this one was cut off");
                    }
                }

                if (!replayed)
                {
                    RedisValue[] appendArgs =
                    [
                        NewEpoch(), next.Publication.Type, next.Publication.Data.GetRawText(), seq, window.MaxCount, TtlSeconds(window), now, PubsChannel, channel, node, sourceLog,
                    ];
                    await db.ScriptEvaluateAsync(AppendScript, Keys(channel), appendArgs);
                }

                lock (outageLock)
                {
                    buffer.RemoveFirst();
                }
            }
        }
        catch (Exception e) when (RedisFailure.IsOutage(e) || e is InvalidOperationException)
        {
            // Still unreachable; the loop tries again.
        }
        finally
        {
            replaying.Release();
        }
    }

    private async Task ResetAsync(IDatabase db, string channel)
    {
        RedisValue[] args = [NewEpoch(), ""];
        await db.ScriptEvaluateAsync(ResetScript, Keys(channel), args);
    }

    private async Task ConsumeAsync()
    {
        await foreach (var item in incoming.Reader.ReadAllAsync())
        {
            try
            {
                if (item.CatchUpChannel is { } channel)
                {
                    await CatchUpAsync(channel, upTo: null);
                    continue;
                }

                // channel \n epoch \n offset \n type \n origin node \n node to skip \n data
                var parts = item.Message!.Split('\n', 7);
                var publication = new Publication(parts[0], parts[1], long.Parse(parts[2], CultureInfo.InvariantCulture), parts[3], JsonDocument.Parse(parts[6]).RootElement.Clone());
                Interlocked.Increment(ref received);
                Remember(publication, null);
                if (parts[5] != node)
                {
                    await CatchUpAsync(publication.Channel, upTo: publication.Offset - 1, publication.Epoch);
                    await DeliverOnceAsync(publication);
                }
            }
            catch (Exception e) when (e is FormatException or JsonException or IndexOutOfRangeException)
            {
                LogBadMessage(log, e);
            }
            catch (Exception e) when (RedisFailure.IsOutage(e))
            {
                LogOutage(log, e, "catch-up");
            }
        }
    }

    /// <summary>
    /// Delivers what this node missed of a channel (fan-out messages lost while its subscription was down),
    /// from the history, in order, before anything newer. With <paramref name="upTo"/> null: everything up to the top.
    /// </summary>
    private async Task CatchUpAsync(string channel, long? upTo, string? epoch = null)
    {
        if (!delivered.TryGetValue(channel, out var last) || (epoch is not null && last.Epoch != epoch) || (upTo is { } limit && limit <= last.Offset))
        {
            return;
        }

        Interlocked.Increment(ref catchUpReads);
        var missed = await ReadSinceAsync(channel, last);
        if (missed.ResyncRequired && missed.Epoch.Length > 0 && missed.Epoch != last.Epoch)
        {
            // The channel started a new epoch while this node was cut off: deliver the new epoch from its
            // start, so subscribers see the epoch change and resync.
            missed = await ReadSinceAsync(channel, new StreamPosition(missed.Epoch, 0));
        }

        foreach (var publication in missed.Publications.Where(p => upTo is null || p.Offset <= upTo))
        {
            await DeliverOnceAsync(publication);
        }
    }

    /// <summary>Delivers unless this node already delivered that position (a replay's echo, a catch-up overlap).</summary>
    private async Task DeliverOnceAsync(Publication publication)
    {
        if (delivered.TryGetValue(publication.Channel, out var last) && last.Epoch == publication.Epoch && publication.Offset <= last.Offset)
        {
            return;
        }

        delivered[publication.Channel] = new StreamPosition(publication.Epoch, publication.Offset);
        await fanOut.DeliverAsync(publication);
    }

    private async Task CatchUpSoonAsync()
    {
        // The subscription connection may come back after the interactive one: look again a little later.
        foreach (var delay in new[] { 500, 2000, 5000 })
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(delay);
            foreach (var channel in delivered.Keys)
            {
                incoming.Writer.TryWrite(new Incoming(null, channel));
            }
        }
    }

    private void Remember(Publication publication, ChangeSource? source)
    {
        known.AddOrUpdate(publication.Channel, new StreamPosition(publication.Epoch, publication.Offset),
            (_, old) => old.Epoch == publication.Epoch && old.Offset > publication.Offset ? old : new StreamPosition(publication.Epoch, publication.Offset));
        if (source is not null)
        {
            knownSource.AddOrUpdate(publication.Channel, source, (_, old) => old.Log == source.Log && old.Seq > source.Seq ? old : source);
        }
    }

    private RedisKey[] Keys(string channel) => [$"{Prefix}:h:{channel}:m", $"{Prefix}:h:{channel}:l"];

    private static long TtlSeconds(HistoryWindow window) => Math.Max((long)window.MaxAge.TotalSeconds * 2, 86_400);

    private static string NewEpoch() => Guid.NewGuid().ToString("N")[..12];

    private static (Publication Publication, long At) ToPublication(string channel, string epoch, RedisResult entry)
    {
        // A stream entry: [id, [field, value, field, value, ...]]
        var parts = (RedisResult[])entry!;
        var id = (string)parts[0]!;
        var fields = (RedisResult[])parts[1]!;
        string type = "", data = "null";
        long at = 0;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            switch ((string)fields[i]!)
            {
                case "y": type = (string)fields[i + 1]!; break;
                case "d": data = (string)fields[i + 1]!; break;
                case "at": at = (long)fields[i + 1]; break;
            }
        }

        var offset = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        return (new Publication(channel, epoch, offset, type, JsonDocument.Parse(Encoding.UTF8.GetBytes(data)).RootElement.Clone()), at);
    }

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "Redis unreachable for channel {Channel}; serving this node's subscribers locally")]
    private static partial void LogOutage(ILogger logger, Exception e, string channel);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "Channel {Channel} gets a new epoch ({Reason}); its subscribers resync")]
    private static partial void LogReset(ILogger logger, string channel, string reason);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Error, Message = "Malformed publication received from Redis")]
    private static partial void LogBadMessage(ILogger logger, Exception e);

    private sealed record Incoming(string? Message, string? CatchUpChannel);

    private sealed record BufferedPublication(Publication Publication, ChangeSource? Source, bool HandedOut);
}
