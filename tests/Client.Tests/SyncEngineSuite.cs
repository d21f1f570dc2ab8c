using System.Diagnostics;
using System.Net.Http;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace RealtimeSync.Client.Tests;

/// <summary>The SDK's outbox and sync engine against the real host, on SQLite and on PostgreSQL.</summary>
public abstract class SyncEngineSuite : ClientTestBase
{
    /// <summary>A real server, and a laptop and a phone of tenant demo that both hold member zoe (created on the laptop, synced to both).</summary>
    private async Task<(HubApp App, RealtimeSyncClient Laptop, RealtimeSyncClient Phone)> LaptopAndPhoneWithZoeAsync()
    {
        var app = Start(realServer: true);
        var laptop = await OpenAsync(app.Address, Token(app, "laptop-1"), "laptop");
        var phone = await OpenAsync(app.Address, Token(app, "phone-1"), "phone");
        await laptop.CreateAsync("team", "zoe", Member("Zoe", id: "zoe"));
        await laptop.SyncAsync();
        await phone.SyncAsync();
        return (app, laptop, phone);
    }

    [Fact]
    public async Task Changes_made_while_the_server_is_unreachable_arrive_once_each_when_it_is_back()
    {
        var app = Start(realServer: true);
        await using var proxy = new SwitchableProxy(DeadAddress());
        var client = await OpenAsync(proxy.Address, Token(app, "laptop-1"), "laptop");

        await client.CreateAsync("team", "nia", Member("Nia", id: "nia"));
        await client.CreateAsync("team", "bob", Member("Bob", id: "bob"));
        await client.UpdateAsync("team", "nia", Fields("""{"role":"Lead"}"""));
        await client.DeleteAsync("team", "bob");
        await client.CreateAsync("team", "cy", Member("Cy", id: "cy"));
        var offline = await Assert.ThrowsAnyAsync<Exception>(() => client.SyncAsync());
        Assert.True(offline is HttpRequestException or System.Net.Sockets.SocketException, offline.ToString());
        Assert.Equal((SyncState.Offline, 5), (client.Status.State, client.Status.Pending));
        Assert.Equal("Lead", (string?)(await client.GetAsync("team", "nia"))!.Fields["role"]);
        Assert.Null(await client.GetAsync("team", "bob"));

        proxy.SwitchTo(app.Address);
        var (push, _) = await client.SyncAsync();
        await client.SyncAsync();

        Assert.True(push == new PushResult(5, 0, 0), string.Join("; ", (await client.OutboxAsync(includeAcknowledged: true)).Select(e => $"{e.Operation} {e.EntityId} base {e.BaseVersion} {e.Status} {e.Error}")));
        Assert.Equal((SyncState.Idle, 0, 0), (client.Status.State, client.Status.Pending, client.Status.Conflicts));
        Assert.NotNull(client.Status.LastSuccessfulSync);
        foreach (var id in new[] { "nia", "bob", "cy" })
        {
            await AssertSameAsync(app, client, id);
        }

        Assert.Equal("Lead", (string?)(await ServerAsync(app, "nia"))!.Fields["role"]);
        Assert.True((await ServerAsync(app, "bob"))!.Deleted);
        Assert.Equal(5, await ChangesFromAsync(app, "laptop-1")); // one change per event: none applied twice
        Assert.All(await client.OutboxAsync(includeAcknowledged: true), e => Assert.Equal(OutboxStatus.Acknowledged, e.Status));
    }

    [Fact]
    public async Task Two_clients_editing_different_fields_of_one_entity_offline_both_survive()
    {
        var (app, laptop, phone) = await LaptopAndPhoneWithZoeAsync();

        await laptop.UpdateAsync("team", "zoe", Fields("""{"role":"Lead"}"""));
        await phone.UpdateAsync("team", "zoe", Fields("""{"name":"Zoe Q"}"""));
        await laptop.SyncAsync();
        var (phonePush, _) = await phone.SyncAsync();
        await laptop.SyncAsync();

        Assert.Equal(new PushResult(1, 0, 0), phonePush);
        var server = (await ServerAsync(app, "zoe"))!;
        Assert.Equal(("Zoe Q", "Lead"), ((string?)server.Fields["name"], (string?)server.Fields["role"]));
        await AssertSameAsync(app, laptop, "zoe");
        await AssertSameAsync(app, phone, "zoe");
    }

    [Theory]
    [InlineData(ConflictChoice.AcceptServer, "Lead")]
    [InlineData(ConflictChoice.KeepLocal, "Intern")]
    [InlineData(ConflictChoice.Merge, "Co-lead")]
    public async Task The_same_field_edited_on_two_clients_is_a_conflict_and_each_resolution_leaves_everyone_equal(ConflictChoice choice, string expectedRole)
    {
        var (app, laptop, phone) = await LaptopAndPhoneWithZoeAsync();
        var detected = new List<SyncConflictInfo>();
        phone.ConflictDetected += detected.Add;

        await laptop.UpdateAsync("team", "zoe", Fields("""{"role":"Lead"}"""));
        await phone.UpdateAsync("team", "zoe", Fields("""{"role":"Intern"}"""));
        await laptop.SyncAsync();
        var (push, _) = await phone.SyncAsync();

        Assert.Equal(new PushResult(0, 1, 0), push);
        var conflict = Assert.Single(await phone.ConflictsAsync());
        Assert.Equal(conflict.EventId, Assert.Single(detected).EventId);
        Assert.Equal(("field-conflict", "Intern", "Lead", "role"),
            (conflict.Reason, (string?)conflict.LocalData["role"], (string?)conflict.ServerData!["role"], Assert.Single(conflict.ConflictingFields)));
        Assert.Equal(1, phone.Status.Conflicts);

        await phone.ResolveAsync(conflict.EventId, choice, choice == ConflictChoice.Merge ? Fields("""{"role":"Co-lead"}""") : null);
        await phone.SyncAsync();
        await laptop.SyncAsync();

        Assert.Empty(await phone.ConflictsAsync());
        Assert.Equal(0, phone.Status.Conflicts);
        Assert.Equal(expectedRole, (string?)(await ServerAsync(app, "zoe"))!.Fields["role"]);
        await AssertSameAsync(app, laptop, "zoe");
        await AssertSameAsync(app, phone, "zoe");
    }

    [Fact]
    public async Task Pulled_updates_and_deletes_of_entities_without_local_edits_replace_the_local_view()
    {
        var app = Start(realServer: true);
        var laptop = await OpenAsync(app.Address, Token(app, "laptop-1"), "laptop");
        var phone = await OpenAsync(app.Address, Token(app, "phone-1"), "phone");
        await laptop.CreateAsync("team", "kim", Member("Kim", id: "kim"));
        await laptop.CreateAsync("team", "lou", Member("Lou", id: "lou"));
        await laptop.SyncAsync();
        await phone.SyncAsync();
        Assert.Equal("Kim", (string?)(await phone.GetAsync("team", "kim"))!.Fields["name"]);

        await laptop.UpdateAsync("team", "kim", Fields("""{"role":"Lead"}"""));
        await laptop.DeleteAsync("team", "lou");
        await laptop.SyncAsync();
        var pulled = await phone.PullAsync();

        var kim = (await phone.GetAsync("team", "kim"))!;
        Assert.Equal(2, pulled.Changes);
        Assert.Equal(("Kim", "Lead", false, 2L), ((string?)kim.Fields["name"], (string?)kim.Fields["role"], kim.HasPendingChanges, kim.ServerVersion));
        Assert.Null(await phone.GetAsync("team", "lou"));
        Assert.DoesNotContain(await phone.ListAsync("team"), e => e.Id == "lou");
        await AssertSameAsync(app, phone, "kim");
        await AssertSameAsync(app, phone, "lou");
    }

    [Fact]
    public async Task A_pulled_page_does_not_hide_a_pending_local_edit_of_the_same_entity_and_the_edit_is_pushed()
    {
        var (app, laptop, phone) = await LaptopAndPhoneWithZoeAsync();

        await phone.UpdateAsync("team", "zoe", Fields("""{"role":"Intern"}"""));
        await laptop.UpdateAsync("team", "zoe", Fields("""{"name":"Zoe Z"}"""));
        await laptop.SyncAsync();
        var pulled = await phone.PullAsync();

        var local = (await phone.GetAsync("team", "zoe"))!;
        Assert.Equal(1, pulled.Changes);
        Assert.Equal(("Zoe Z", "Intern", true), ((string?)local.Fields["name"], (string?)local.Fields["role"], local.HasPendingChanges));
        Assert.Equal(2, local.ServerVersion);

        await phone.SyncAsync();
        await laptop.SyncAsync();
        var server = (await ServerAsync(app, "zoe"))!;
        Assert.Equal(("Zoe Z", "Intern"), ((string?)server.Fields["name"], (string?)server.Fields["role"]));
        await AssertSameAsync(app, phone, "zoe");
        await AssertSameAsync(app, laptop, "zoe");
    }

    [Fact]
    public async Task A_rate_limited_sync_waits_for_retry_after_and_then_succeeds()
    {
        var app = Start(new()
        {
            ["Sync:RateLimits:PerClient:PermitLimit"] = "1",
            ["Sync:RateLimits:PerClient:WindowSeconds"] = "2",
        }, realServer: true);
        var retries = new List<SyncState>();
        // Without Retry-After the retries would come after 10, 20, 40 ms and all be refused.
        var client = await OpenAsync(app.Address, Token(app, "laptop-1"), "laptop", o =>
        {
            o.MaxRetries = 3;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        });
        await client.PullAsync();

        var watch = Stopwatch.StartNew();
        await client.PullAsync();

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {watch.Elapsed}");
        Assert.Equal(SyncState.Idle, client.Status.State);
    }

    [Fact]
    public async Task The_timer_starts_a_sync()
    {
        var app = Start(realServer: true);
        var laptop = await OpenAsync(app.Address, Token(app, "laptop-1"), "laptop");
        var phone = await OpenAsync(app.Address, Token(app, "phone-1"), "phone", o => o.SyncInterval = TimeSpan.FromMilliseconds(500));
        phone.Start();

        await laptop.CreateAsync("team", "zoe", Member("Zoe", id: "zoe"));
        await laptop.SyncAsync();

        await EventuallyAsync(async () => await phone.GetAsync("team", "zoe") is not null, "the timed sync");
    }

    [Fact]
    public async Task The_changes_available_push_starts_a_sync()
    {
        var app = Start(realServer: true);
        var laptop = await OpenAsync(app.Address, Token(app, "laptop-1"), "laptop");
        var phone = await OpenAsync(app.Address, Token(app, "phone-1"), "phone", o =>
        {
            o.SyncInterval = TimeSpan.FromHours(1);
            o.ListenForChanges = true;
        });
        phone.Start();
        var subscriptions = app.Services.GetRequiredService<ChannelSubscriptions>();
        await EventuallyAsync(() => Task.FromResult(subscriptions.Channels.Contains("demo/sync/phone-1")), "the phone's subscription");

        await laptop.CreateAsync("team", "zoe", Member("Zoe", id: "zoe"));
        await laptop.SyncAsync();

        await EventuallyAsync(async () => await phone.GetAsync("team", "zoe") is not null, "the pushed sync");
    }

    [Fact]
    public async Task A_local_write_starts_a_sync()
    {
        var app = Start(realServer: true);
        var phone = await OpenAsync(app.Address, Token(app, "phone-1"), "phone", o => o.SyncInterval = TimeSpan.FromHours(1));
        phone.Start();

        await phone.CreateAsync("team", "zoe", Member("Zoe", id: "zoe"));

        await EventuallyAsync(async () => await ServerAsync(app, "zoe") is not null, "the write's sync");
        await EventuallyAsync(() => Task.FromResult(phone.Status.Pending == 0), "the acknowledgement");
    }
}

public sealed class SqliteSyncEngineTests : SyncEngineSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresSyncEngineTests : SyncEngineSuite
{
    protected override Backend Backend => Backend.Postgres;
}
