using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.EditLatency;

/// <summary>
/// One backend: the real host on Kestrel, K raw subscribers on the team channel, then warm-up and
/// interleaved phases of bare broadcasts and API edits at the same fixed rate.
/// </summary>
internal sealed class LatencyRun(BenchOptions options, string backend, IDictionary<string, string?> settings)
{
    private const string Tenant = "demo";
    private const string Channel = "demo/entities/team";
    private static readonly string[] SeededIds = ["ada", "grace", "alan"];

    private readonly string[] ids = new string[options.Entities];
    private readonly long[] versions = new long[options.Entities];
    private readonly Task[] inFlight = Enumerable.Repeat(Task.CompletedTask, options.Entities).ToArray();
    private readonly string epoch = Guid.NewGuid().ToString("N")[..12];
    private Timeline timeline = null!;
    private HttpClient http = null!;
    private IHubContext<SyncHub> hub = null!;
    private ChannelSubscriptions subscriptions = null!;
    private readonly List<PhaseLoad> loads = [];
    private TimeSpan worstSlip;
    private SpanProfile? profile;

    public async Task<BackendResult> RunAsync()
    {
        var loadBefore = LoadAverage();
        using var spans = options.Spans ? new SpanProfile() : null;
        profile = spans;
        await using var app = new HubApp(settings, realServer: true);
        var token = app.Services.GetRequiredService<TokenIssuer>().Issue(Tenant, "bench", [Roles.Editor], TimeSpan.FromHours(1));
        hub = app.Services.GetRequiredService<IHubContext<SyncHub>>();
        subscriptions = app.Services.GetRequiredService<ChannelSubscriptions>();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = app.Address,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http = client;
        await PrepareEntitiesAsync();

        var capacity = (options.Rate * ((2 * options.WarmUpSeconds) + (2 * options.Phases * options.Seconds))) + 16;
        timeline = new Timeline(capacity, options.Subscribers);
        // Called by the publisher right after its group send: when the server has handed the edit to SignalR.
        using var listening = app.Services.GetRequiredService<ChannelPublisher>().Listen(Channel, publication =>
        {
            if (publication.Data.TryGetProperty("changed", out var changed) && changed.TryGetProperty("bio", out var bio) && Number(bio.GetString()) is { } n)
            {
                timeline.Pushed(n);
            }

            return Task.CompletedTask;
        });

        Log($"{backend}: connecting {options.Subscribers} subscribers to {app.Address}");
        var subscribers = await ConnectAsync(app.Address, token);
        using var pinger = new Timer(_ =>
        {
            foreach (var subscriber in subscribers)
            {
                _ = subscriber.PingAsync();
            }
        }, null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

        try
        {
            if (options.WarmUpSeconds > 0)
            {
                Log($"{backend}: warm-up {options.WarmUpSeconds} s + {options.WarmUpSeconds} s");
                await RunPhaseAsync(Mode.Baseline, Timeline.WarmUp, options.WarmUpSeconds);
                await RunPhaseAsync(Mode.Edits, Timeline.WarmUp, options.WarmUpSeconds);
            }

            for (var pair = 0; pair < options.Phases; pair++)
            {
                Log($"{backend}: phase pair {pair + 1}/{options.Phases}");
                await RunPhaseAsync(Mode.Baseline, 2 * pair, options.Seconds);
                await RunPhaseAsync(Mode.Edits, (2 * pair) + 1, options.Seconds);
            }
        }
        finally
        {
            await pinger.DisposeAsync();
        }

        var dropped = subscribers.Count(s => s.Failure is not null);
        foreach (var failure in subscribers.Select(s => s.Failure).OfType<string>().Distinct().Take(3))
        {
            Log($"{backend}: subscriber failed: {failure}");
        }

        await Task.WhenAll(subscribers.Select(s => s.DisposeAsync().AsTask()));
        return BackendResult.From(backend, timeline, loads, dropped, worstSlip, loadBefore, LoadAverage(), spans?.Summarize() ?? []);
    }

    /// <summary>
    /// Sends <paramref name="seconds"/> × rate messages on a fixed schedule (message i due at start + i/rate,
    /// so a slow send does not shift the following ones), then waits until every subscriber has them all.
    /// </summary>
    private async Task RunPhaseAsync(Mode mode, int phase, int seconds)
    {
        var count = options.Rate * seconds;
        var sends = new List<Task>(count);
        var first = -1;
        var load = new LoadSampler(mode, phase);
        if (profile is not null)
        {
            profile.Recording = mode == Mode.Edits && phase != Timeline.WarmUp;
        }

        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = start + (i * Stopwatch.Frequency / options.Rate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var slip = Stopwatch.GetElapsedTime(due);
            worstSlip = slip > worstSlip && phase != Timeline.WarmUp ? slip : worstSlip;
            var n = timeline.Next(mode, phase, due);
            first = first < 0 ? n : first;
            if (mode == Mode.Baseline)
            {
                sends.Add(Task.Run(() => BroadcastAsync(n)));
            }
            else
            {
                // At most one request in flight per entity: a write waits for the previous one on the same
                // entity (its base version comes from that answer); such a send is counted as late.
                var entity = n % ids.Length;
                var previous = inFlight[entity];
                if (!previous.IsCompleted)
                {
                    timeline.Late(n);
                }

                inFlight[entity] = EditAfterAsync(previous, n, entity);
                sends.Add(inFlight[entity]);
            }
        }

        await Task.WhenAll(sends);
        await DrainAsync(first, timeline.Count, TimeSpan.FromSeconds(10));
        var measured = await load.StopAsync();
        if (phase != Timeline.WarmUp)
        {
            loads.Add(measured);
        }
    }

    private async Task BroadcastAsync(int n)
    {
        // Same type, shape and size as a real edit's publication; built before the clock starts.
        var data = JsonSerializer.SerializeToElement(
            new EntityChangedEvent(ids[n % ids.Length], "team", "update", n, new JsonObject { ["bio"] = $"base-{n}" }, [], "bench", "api", n),
            JsonSerializerOptions.Web);
        var payload = new Publication(Channel, epoch, n, PublicationTypes.EntityChanged, data);
        timeline.Sent(n);
        // The same bare SignalR send the product ends with, to the channel's subscribers on this node.
        await hub.Clients.Clients(subscriptions.Subscribers(Channel)).SendAsync(SyncHub.PublicationMethod, payload);
        timeline.Pushed(n);
    }

    private async Task EditAfterAsync(Task previous, int n, int entity)
    {
        await previous;
        await EditAsync(n, entity);
    }

    private async Task EditAsync(int n, int entity)
    {
        var body = $"{{\"baseVersion\":{versions[entity]},\"fields\":{{\"bio\":\"bench-{n}\"}}}}";
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/tenants/{Tenant}/entities/team/{ids[entity]}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        try
        {
            timeline.Sent(n);
            using var response = await http.SendAsync(request);
            timeline.Responded(n);
            var answer = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                timeline.Failed(n);
                Log($"{backend}: edit {n} of {ids[entity]} answered {(int)response.StatusCode}: {answer}");
                versions[entity] = await VersionAsync(ids[entity]);
                return;
            }

            versions[entity] = JsonNode.Parse(answer)!["entity"]!["version"]!.GetValue<long>();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            timeline.Failed(n);
            Log($"{backend}: edit {n} failed: {e.Message}");
        }
    }

    /// <summary>Waits until every subscriber has every message in [first, end) (or the timeout: they count as missing).</summary>
    private async Task DrainAsync(int first, int end, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var next = first;
        while (next < end && Stopwatch.GetTimestamp() < deadline)
        {
            while (next < end && timeline.Complete(next))
            {
                next++;
            }

            if (next < end)
            {
                await Task.Delay(10);
            }
        }
    }

    /// <summary>The seeded team members plus b03, b04… up to the entity count, with their current versions.</summary>
    private async Task PrepareEntitiesAsync()
    {
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = i < SeededIds.Length ? SeededIds[i] : $"b{i:00}";
            if (i >= SeededIds.Length)
            {
                var create = await http.PostAsJsonAsync($"/api/tenants/{Tenant}/entities/team", new { id = ids[i], fields = new { name = ids[i].ToUpperInvariant() } });
                create.EnsureSuccessStatusCode();
            }

            versions[i] = await VersionAsync(ids[i]);
        }
    }

    private async Task<long> VersionAsync(string id)
    {
        var entity = await http.GetFromJsonAsync<JsonObject>($"/api/tenants/{Tenant}/entities/team/{id}");
        return entity!["version"]!.GetValue<long>();
    }

    private async Task<List<RawHubSubscriber>> ConnectAsync(Uri address, string token)
    {
        var subscribers = new RawHubSubscriber[options.Subscribers];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Subscribers), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            subscribers[i] = await RawHubSubscriber.ConnectAsync(address, token, Channel, i, timeline, ct));
        return [.. subscribers];
    }

    private static int? Number(string? marker) =>
        marker?.IndexOf('-') is int dash and >= 0 && int.TryParse(marker.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
