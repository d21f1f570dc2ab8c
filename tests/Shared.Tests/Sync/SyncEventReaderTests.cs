using System.Text.Json.Nodes;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Shared.Tests.Sync;

public sealed class SyncEventReaderTests
{
    [Fact]
    public void A_complete_update_is_read_with_local_version_as_base_and_the_client_clock_kept_apart()
    {
        var read = SyncEventReader.Read(JsonNode.Parse("""
            {"id":"ev-1","tenantId":"demo","entityType":"team","entityId":"zoe","operation":"update",
             "payload":{"role":"Lead","bio":null},"localVersion":3,"createdAt":"1999-12-31T23:59:59Z"}
            """));

        Assert.Empty(read.Errors);
        var e = read.Event!;
        Assert.Equal(("ev-1", "demo", "team", "zoe", SyncOperation.Update, 3L), (e.Id, e.TenantId, e.EntityType, e.EntityId, e.Operation, e.BaseVersion));
        Assert.Equal(new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero), e.CreatedAt);
        Assert.True(e.Payload.ContainsKey("bio"));
        Assert.Equal("Lead", e.Payload["role"]!.GetValue<string>());
    }

    [Fact]
    public void A_delete_needs_no_payload_and_a_create_no_base_version()
    {
        Assert.Empty(SyncEventReader.Read(JsonNode.Parse("""{"id":"d","tenantId":"t","entityType":"team","entityId":"x","operation":"DELETE"}""")).Errors);
        Assert.Empty(SyncEventReader.Read(JsonNode.Parse("""{"id":"c","tenantId":"t","entityType":"team","entityId":"x","operation":"CREATE","payload":{}}""")).Errors);
    }

    [Theory]
    [InlineData("""{"tenantId":"t","entityType":"team","entityId":"x","operation":"DELETE"}""", "id", false)]
    [InlineData("""{"id":"a b","tenantId":"t","entityType":"team","entityId":"x","operation":"DELETE"}""", "id", false)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x/y","operation":"DELETE"}""", "entityId", true)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x","operation":"PATCH"}""", "operation", true)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x","operation":"UPDATE","payload":{}}""", "baseVersion", true)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x","operation":"UPDATE","payload":{},"baseVersion":-1}""", "baseVersion", true)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x","operation":"CREATE"}""", "payload", true)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x","operation":"CREATE","payload":[1]}""", "payload", true)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x","operation":"DELETE","createdAt":"yesterday"}""", "createdAt", true)]
    [InlineData("""{"id":"e","tenantId":"t","entityType":"team","entityId":"x","operation":"DELETE","extra":1}""", "extra", true)]
    [InlineData("""{"id":"e","tenantId":7,"entityType":"team","entityId":"x","operation":"DELETE"}""", "tenantId", true)]
    public void A_bad_event_names_the_field_and_keeps_its_id_when_usable(string json, string field, bool idKept)
    {
        var read = SyncEventReader.Read(JsonNode.Parse(json));

        Assert.Null(read.Event);
        Assert.Contains(field, read.Errors.Keys);
        Assert.Equal(idKept, read.EventId is not null);
    }

    [Fact]
    public void A_non_object_is_an_invalid_event_without_id()
    {
        var read = SyncEventReader.Read(JsonNode.Parse("42"));
        Assert.Null(read.EventId);
        Assert.Equal(["event"], read.Errors.Keys);
    }

    [Fact]
    public void Resolution_names_round_trip_and_unknown_ones_are_null()
    {
        foreach (var resolution in Enum.GetValues<ConflictResolution>())
        {
            Assert.Equal(resolution, SyncNames.ParseResolution(SyncNames.Of(resolution)));
        }

        Assert.Null(SyncNames.ParseResolution("server-wins"));
        Assert.Equal("DELETE", SyncNames.Of(SyncOperation.Delete));
    }
}
