using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RealtimeSync.Hub.Infrastructure.Locking;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Hub.Tests.Realtime.MultiNode;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Locking;

/// <summary>The Redis lock and <see cref="SingletonJobRunner"/> with several nodes on the real Redis.</summary>
public sealed class DistributedLockTests : IAsyncLifetime
{
    private const int TtlSeconds = 2;

    /// <summary>
    /// How long a first node may take to own a fresh lock: setup, not what these tests measure. Its first Redis
    /// connect happens then, and a full parallel test run once kept it past 5 s.
    /// </summary>
    private static readonly TimeSpan FirstAcquisition = TimeSpan.FromSeconds(15);

    private readonly string prefix = $"lk{Guid.NewGuid():N}"[..12];
    private readonly List<LockNode> nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>Settings for a lock built by hand (not through a <see cref="LockNode"/>): the test Redis, this test's prefix.</summary>
    private IConfiguration LockConfiguration() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Redis:Configuration"] = TestServers.Redis,
        ["Redis:ChannelPrefix"] = prefix,
    }).Build();

    private LockNode Start(string name, RecordingJob job, string? redis = null)
    {
        var node = new LockNode(name, redis ?? TestServers.Redis, prefix, job, TtlSeconds);
        nodes.Add(node);
        job.Bind(node);
        return node;
    }

    [Fact]
    public async Task Two_nodes_contending_for_30_s_run_the_job_on_exactly_one_at_a_time_with_increasing_fencing_tokens()
    {
        var job = new RecordingJob("contended");
        var current = new List<LockNode> { Start("node-1", job), Start("node-2", job) };
        var clock = Stopwatch.StartNew();
        var generation = 2;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            // Hand over: stop whoever holds the job (gracefully, or by killing it every other time) and start a fresh contender.
            var owner = current.FirstOrDefault(n => n.Runner.IsOwner);
            if (owner is not null)
            {
                if (generation % 2 == 0)
                {
                    await owner.StopAsync();
                }
                else
                {
                    owner.Kill();
                }

                current.Remove(owner);
            }

            current.Add(Start($"node-{++generation}", job));
        }

        var runs = job.Runs;
        Assert.True(runs.Count > 50, $"only {runs.Count} runs");
        for (var i = 1; i < runs.Count; i++)
        {
            Assert.True(runs[i].Start >= runs[i - 1].End, $"runs overlap: {runs[i - 1]} and {runs[i]}");
            Assert.True(runs[i].Token >= runs[i - 1].Token, $"fencing token went back: {runs[i - 1]} then {runs[i]}");
            if (runs[i].Node != runs[i - 1].Node)
            {
                Assert.True(runs[i].Token > runs[i - 1].Token, $"a new owner must have a greater token: {runs[i - 1]} then {runs[i]}");
            }
        }

        Assert.True(runs.Select(r => r.Node).Distinct().Count() >= 4, string.Join(", ", runs.Select(r => r.Node).Distinct()));
        Assert.Empty(job.Refused);

        // The job's own log (fenced writes in Redis): tokens never decrease.
        // Read through the newest contender: earlier ones may have been killed (their connection is closed).
        var log = (await current[^1].Fenced.ReadAsync("contended")).Select(e => long.Parse(e.Split(':')[1])).ToList();
        Assert.Equal(log.Order(), log);
        // A pass cut off by a kill may have written its entry without living to record the run: at most one per kill.
        Assert.InRange(log.Count, runs.Count, runs.Count + 3);
    }

    [Fact]
    public async Task Killing_the_owner_hands_the_job_over_within_the_ttl_and_stops_it_on_the_dead_node()
    {
        var job = new RecordingJob("handover");
        var a = Start("node-a", job);
        await WaitAsync(() => a.Runner.IsOwner, FirstAcquisition, "A owns the job");
        var b = Start("node-b", job);
        await Task.Delay(1000);
        Assert.False(b.Runner.IsOwner);

        var killed = Stopwatch.StartNew();
        a.Kill();

        await WaitAsync(() => !a.Runner.IsOwner, TimeSpan.FromSeconds(TtlSeconds), "A stops before its lock can expire");
        var stoppedAfter = killed.Elapsed;
        await WaitAsync(() => job.Runs.Any(r => r.Node == "node-b"), TimeSpan.FromSeconds(TtlSeconds + 2), "B takes over");
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(TtlSeconds + 1.5), $"handover took {killed.Elapsed.TotalMilliseconds} ms");
        Assert.True(stoppedAfter < TimeSpan.FromSeconds(TtlSeconds), $"A noticed after {stoppedAfter.TotalMilliseconds} ms");
        var lastOfA = job.Runs.Last(r => r.Node == "node-a");
        var firstOfB = job.Runs.First(r => r.Node == "node-b");
        Assert.True(firstOfB.Start >= lastOfA.End);
        Assert.True(firstOfB.Token > lastOfA.Token);
    }

    [Fact]
    public async Task A_stale_owners_write_carrying_an_old_fencing_token_is_refused()
    {
        var configuration = LockConfiguration();
        using var aConnection = new RedisConnection(configuration);
        using var bConnection = new RedisConnection(configuration);
        var aLock = new RedisDistributedLock(aConnection, configuration, NullLogger<RedisDistributedLock>.Instance);
        var bLock = new RedisDistributedLock(bConnection, configuration, NullLogger<RedisDistributedLock>.Instance);
        var writes = new RedisFencedWrites(bConnection, configuration);

        var stale = await aLock.TryAcquireAsync("fenced-job", TimeSpan.FromSeconds(1));
        Assert.NotNull(stale);
        Assert.Null(await bLock.TryAcquireAsync("fenced-job", TimeSpan.FromSeconds(1)));
        Assert.True(await writes.AppendAsync("fenced-resource", stale.FencingToken, "a-1"));

        // A stalls (its connection is gone, as in a long GC pause or a partition): its lease expires, B takes over.
        aConnection.Multiplexer.Close(allowCommandsToComplete: false);
        var waiting = Stopwatch.StartNew();
        LockLease? successor;
        while ((successor = await bLock.TryAcquireAsync("fenced-job", TimeSpan.FromSeconds(5))) is null)
        {
            Assert.True(waiting.Elapsed < TimeSpan.FromSeconds(4), "B acquires after A's TTL");
            await Task.Delay(50);
        }

        Assert.True(successor.FencingToken > stale.FencingToken);
        Assert.True(await writes.AppendAsync("fenced-resource", successor.FencingToken, "b-1"));

        // A wakes up and writes with its old token: refused. B keeps writing.
        Assert.False(await writes.AppendAsync("fenced-resource", stale.FencingToken, "a-2"));
        Assert.True(await writes.AppendAsync("fenced-resource", successor.FencingToken, "b-2"));
        Assert.Equal(new[] { "a-1", "b-1", "b-2" }, await writes.ReadAsync("fenced-resource"));
        Assert.True(stale.IsLost, "A's lease noticed it could not renew");
        await successor.DisposeAsync();
        Assert.NotNull(await bLock.TryAcquireAsync("fenced-job", TimeSpan.FromSeconds(5))); // released by its owner
    }

    [Fact]
    public async Task A_lease_whose_renewals_stall_counts_as_lost_once_its_key_could_have_expired()
    {
        var configuration = LockConfiguration();
        using var aConnection = new RedisConnection(configuration);
        using var bConnection = new RedisConnection(configuration);
        // A's renewals are scheduled on a clock that never moves: its process is paused, as far as the lease can tell.
        var aLock = new RedisDistributedLock(aConnection, configuration, NullLogger<RedisDistributedLock>.Instance)
        {
            RenewalClock = new DocumentSync.ManualClock(DateTimeOffset.UnixEpoch),
        };
        var bLock = new RedisDistributedLock(bConnection, configuration, NullLogger<RedisDistributedLock>.Instance);
        var ttl = TimeSpan.FromSeconds(1);

        var acquired = Stopwatch.StartNew();
        var stalled = await aLock.TryAcquireAsync("stalled-job", ttl);
        Assert.NotNull(stalled);
        var context = new SingletonJobContext(stalled, "node-a");
        Assert.False(stalled.IsLost);
        context.ThrowIfNotOwner();

        LockLease? successor;
        while ((successor = await bLock.TryAcquireAsync("stalled-job", TimeSpan.FromSeconds(5))) is null)
        {
            Assert.True(acquired.Elapsed < TimeSpan.FromSeconds(3), "B acquires once A's key expired");
            await Task.Delay(20);
        }

        // By the time anyone else can hold the lock, A knows it does not, though no renewal of A ever ran.
        Assert.True(stalled.IsLost, "A still counts itself the owner while B holds the lock");
        Assert.Throws<OperationCanceledException>(context.ThrowIfNotOwner);
        await WaitAsync(() => stalled.Lost.IsCancellationRequested, TimeSpan.FromSeconds(1), "A's Lost token fires");
        Assert.True(successor.FencingToken > stalled.FencingToken);
        await successor.DisposeAsync();
        await stalled.DisposeAsync();
    }

    [Fact]
    public async Task Redis_going_down_cancels_the_running_pass_promptly()
    {
        await using var redis = await PrivateRedis.StartAsync();
        var job = new RecordingJob("long", passDuration: TimeSpan.FromMinutes(5));
        var a = Start("node-a", job, redis.Configuration);
        await WaitAsync(() => job.Started > 0, FirstAcquisition, "the pass starts");

        var stopped = Stopwatch.StartNew();
        redis.Stop();

        await WaitAsync(() => job.Cancelled > 0, TimeSpan.FromSeconds(TtlSeconds + 1), "the pass is cancelled");
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(TtlSeconds), $"cancelled after {stopped.Elapsed.TotalMilliseconds} ms, the lock's TTL is {TtlSeconds} s");
        Assert.False(a.Runner.IsOwner);
    }

    [Fact]
    public async Task The_in_process_lock_has_one_owner_and_increasing_tokens()
    {
        var locks = new InProcessDistributedLock();
        var first = await locks.TryAcquireAsync("job", TimeSpan.FromSeconds(1));
        Assert.NotNull(first);
        Assert.Null(await locks.TryAcquireAsync("job", TimeSpan.FromSeconds(1)));
        Assert.NotNull(await locks.TryAcquireAsync("other-job", TimeSpan.FromSeconds(1)));
        await first.DisposeAsync();
        var second = await locks.TryAcquireAsync("job", TimeSpan.FromSeconds(1));
        Assert.NotNull(second);
        Assert.True(second.FencingToken > first.FencingToken);

        var writes = new InProcessFencedWrites();
        Assert.True(await writes.AppendAsync("r", second.FencingToken, "new"));
        Assert.False(await writes.AppendAsync("r", first.FencingToken, "stale"));
        Assert.Equal(new[] { "new" }, await writes.ReadAsync("r"));
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"{what}: not within {timeout.TotalSeconds} s");
            await Task.Delay(10);
        }
    }

    /// <summary>A singleton job that records each pass (node, token, start, end) and appends a fenced entry to its Redis log.</summary>
    private sealed class RecordingJob(string name, TimeSpan? passDuration = null) : ISingletonJob
    {
        private readonly object gate = new();
        private readonly List<Run> runs = [];
        private readonly Dictionary<string, LockNode> nodes = [];
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private int started;
        private int cancelled;

        public string Name => name;

        public TimeSpan Interval => TimeSpan.FromMilliseconds(20);

        public List<Run> Runs
        {
            get
            {
                lock (gate)
                {
                    return [.. runs];
                }
            }
        }

        public List<Run> Refused { get; } = [];

        public int Started => Volatile.Read(ref started);

        public int Cancelled => Volatile.Read(ref cancelled);

        public void Bind(LockNode node)
        {
            lock (gate)
            {
                nodes[node.Name] = node;
            }
        }

        public async Task RunOnceAsync(SingletonJobContext context, CancellationToken ct)
        {
            Interlocked.Increment(ref started);
            var start = clock.Elapsed;
            LockNode node;
            lock (gate)
            {
                node = nodes[context.Node];
            }

            try
            {
                await Task.Delay(passDuration ?? TimeSpan.FromMilliseconds(30), ct);

                // The pass's work happened while the lease was valid if the lease is still valid after it: read the
                // time first, then check. (A pass that resumes late after a pause finds its lease gone and stops.)
                var run = new Run(context.Node, context.FencingToken, start, clock.Elapsed);
                context.ThrowIfNotOwner();
                var written = await node.Fenced.AppendAsync(name, context.FencingToken, $"{context.Node}:{context.FencingToken}");
                lock (gate)
                {
                    (written ? runs : Refused).Add(run);
                }
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }
        }
    }

    private sealed record Run(string Node, long Token, TimeSpan Start, TimeSpan End);
}
