using System.Diagnostics;
using System.Security.Cryptography;
using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Infrastructure.Locking;

/// <summary>
/// <c>SET {prefix}:lock:{name} {random token} NX PX ttl</c> and, in the same script, <c>INCR {prefix}:fence:{name}</c>
/// for the fencing token. The lease renews every ttl/3 (PEXPIRE only while the value is still its token) and
/// releases with DEL only while the value is still its token, so a late release never frees a successor's lock.
/// The first renewal that fails or is refused marks the lease lost: the holder stops before the key can expire
/// and another node take over. A lease whose renewals stop (a paused process, a starved thread pool) counts as lost
/// once the key could have expired (<see cref="LockLease.IsLost"/>).
/// </summary>
public sealed partial class RedisDistributedLock(RedisConnection redis, IConfiguration configuration, ILogger<RedisDistributedLock> log) : IDistributedLock
{
    private readonly RedisConnection connection = redis;
    private readonly ILogger logger = log;

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(2);

    private const string AcquireScript = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end
        return 0
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    /// <summary>Schedules renewals (a test stalls them to play a paused process); validity is always measured on real time.</summary>
    internal TimeProvider RenewalClock { get; init; } = TimeProvider.System;

    private string Prefix => configuration["Redis:ChannelPrefix"] is { Length: > 0 } prefix ? prefix : "rs";

    public async Task<LockLease?> TryAcquireAsync(string name, TimeSpan ttl, CancellationToken ct = default)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        var key = (RedisKey)$"{Prefix}:lock:{name}";
        var sent = Stopwatch.GetTimestamp();
        var fence = (long)await connection.Multiplexer.GetDatabase()
            .ScriptEvaluateAsync(AcquireScript, [key, $"{Prefix}:fence:{name}"], [token, (long)ttl.TotalMilliseconds])
            .WaitAsync(CommandTimeout, ct);
        return fence == 0 ? null : new Lease(this, name, key, token, fence, ttl, sent);
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Lock {Name} lost (renewal {Outcome}); its work stops")]
    private static partial void LogLost(ILogger logger, string name, string outcome, Exception? e);

    private sealed class Lease : LockLease
    {
        private readonly RedisDistributedLock owner;
        private readonly RedisKey key;
        private readonly string token;
        private readonly TimeSpan ttl;
        private readonly CancellationTokenSource stop = new();
        private readonly Task renewing;

        public Lease(RedisDistributedLock owner, string name, RedisKey key, string token, long fence, TimeSpan ttl, long sent)
            : base(name, fence)
        {
            Confirm(sent, ttl);
            this.owner = owner;
            this.key = key;
            this.token = token;
            this.ttl = ttl;
            renewing = RenewAsync();
        }

        private async Task RenewAsync()
        {
            var every = ttl / 3;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, owner.RenewalClock, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                try
                {
                    var sent = Stopwatch.GetTimestamp();
                    var renewed = (long)await owner.connection.Multiplexer.GetDatabase()
                        .ScriptEvaluateAsync(RenewScript, [key], [token, (long)ttl.TotalMilliseconds])
                        .WaitAsync(Min(every, CommandTimeout));
                    if (renewed != 1)
                    {
                        LogLost(owner.logger, Name, "refused: another owner holds it", null);
                        MarkLost();
                        return;
                    }

                    Confirm(sent, ttl);
                }
                catch (Exception e)
                {
                    // Whatever the failure (Redis down, timeout, a closed connection), ownership is no longer proven.
                    LogLost(owner.logger, Name, "failed", e);
                    MarkLost();
                    return;
                }
            }
        }

        protected override async ValueTask ReleaseAsync()
        {
            await stop.CancelAsync();
            await renewing;
            if (IsLost)
            {
                return;
            }

            MarkLost();
            try
            {
                await owner.connection.Multiplexer.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [key], [token]).WaitAsync(CommandTimeout);
            }
            catch (Exception e) when (RedisFailure.IsOutage(e) || e is ObjectDisposedException)
            {
                // The key expires on its own after the TTL.
            }
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }
}
