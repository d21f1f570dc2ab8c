using Microsoft.EntityFrameworkCore;

namespace RealtimeSync.Hub.Sync;

/// <summary>Processed sync/up event of one client: the stored result a retry gets back (migration 0006).</summary>
public sealed class OutboxReceiptRow
{
    public required string TenantId { get; init; }

    public required string ClientId { get; init; }

    public required string EventId { get; init; }

    /// <summary>acknowledged | conflict | rejected.</summary>
    public required string Outcome { get; init; }

    /// <summary>JSON of the <see cref="Shared.Sync.SyncEventResult"/> sent back.</summary>
    public required string Result { get; init; }

    public DateTimeOffset ProcessedAt { get; init; }
}

/// <summary>A conflict reported to a sync client, pending until resolved.</summary>
public sealed class SyncConflictRow
{
    public required string TenantId { get; init; }

    public required string ClientId { get; init; }

    public required string EventId { get; init; }

    public required string EntityType { get; init; }

    public required string EntityId { get; init; }

    public required string Operation { get; init; }

    public required string Reason { get; init; }

    /// <summary>JSON object: the client's payload.</summary>
    public required string LocalPayload { get; init; }

    public long? BaseVersion { get; init; }

    /// <summary>JSON of the server's entity when the conflict was found (null when it does not exist).</summary>
    public string? ServerData { get; init; }

    /// <summary>JSON array of the conflicting field names.</summary>
    public required string Fields { get; init; }

    /// <summary>pending | resolved.</summary>
    public required string Status { get; set; }

    public string? Resolution { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public string? ResolvedBy { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A sync client as the backoffice lists it.</summary>
public sealed class SyncClientRow
{
    public required string TenantId { get; init; }

    public required string ClientId { get; init; }

    public DateTimeOffset LastSeenAt { get; set; }

    public DateTimeOffset? LastUpAt { get; set; }

    public DateTimeOffset? LastDownAt { get; set; }

    public long? LastCursorSeq { get; set; }
}

/// <summary>One sync request, successful or not.</summary>
public sealed class SyncLogRow
{
    public long Id { get; init; }

    public required string TenantId { get; init; }

    public required string ClientId { get; init; }

    /// <summary>up | down | resolve.</summary>
    public required string Direction { get; init; }

    /// <summary>ok | partial | invalid | forbidden | rate-limited | failed.</summary>
    public required string Status { get; init; }

    public int Events { get; init; }

    public int Acknowledged { get; init; }

    public int Conflicts { get; init; }

    public int Rejected { get; init; }

    public int Changes { get; init; }

    public int DurationMs { get; init; }

    public string? Error { get; init; }

    public DateTimeOffset At { get; init; }
}

/// <summary>EF mappings of the sync tables, kept apart from the rest of the model.</summary>
internal static class SyncRows
{
    public static void Configure(ModelBuilder model)
    {
        model.Entity<OutboxReceiptRow>(e =>
        {
            e.ToTable("outbox_receipts");
            e.HasKey(x => new { x.TenantId, x.ClientId, x.EventId });
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.ClientId).HasColumnName("client_id");
            e.Property(x => x.EventId).HasColumnName("event_id");
            e.Property(x => x.Outcome).HasColumnName("outcome");
            e.Property(x => x.Result).HasColumnName("result");
            e.Property(x => x.ProcessedAt).HasColumnName("processed_at");
        });
        model.Entity<SyncConflictRow>(e =>
        {
            e.ToTable("sync_conflicts");
            e.HasKey(x => new { x.TenantId, x.ClientId, x.EventId });
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.ClientId).HasColumnName("client_id");
            e.Property(x => x.EventId).HasColumnName("event_id");
            e.Property(x => x.EntityType).HasColumnName("entity_type");
            e.Property(x => x.EntityId).HasColumnName("entity_id");
            e.Property(x => x.Operation).HasColumnName("operation");
            e.Property(x => x.Reason).HasColumnName("reason");
            e.Property(x => x.LocalPayload).HasColumnName("local_payload");
            e.Property(x => x.BaseVersion).HasColumnName("base_version");
            e.Property(x => x.ServerData).HasColumnName("server_data");
            e.Property(x => x.Fields).HasColumnName("fields");
            e.Property(x => x.Status).HasColumnName("status");
            e.Property(x => x.Resolution).HasColumnName("resolution");
            e.Property(x => x.ResolvedAt).HasColumnName("resolved_at");
            e.Property(x => x.ResolvedBy).HasColumnName("resolved_by");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        model.Entity<SyncClientRow>(e =>
        {
            e.ToTable("sync_clients");
            e.HasKey(x => new { x.TenantId, x.ClientId });
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.ClientId).HasColumnName("client_id");
            e.Property(x => x.LastSeenAt).HasColumnName("last_seen_at");
            e.Property(x => x.LastUpAt).HasColumnName("last_up_at");
            e.Property(x => x.LastDownAt).HasColumnName("last_down_at");
            e.Property(x => x.LastCursorSeq).HasColumnName("last_cursor_seq");
        });
        model.Entity<SyncLogRow>(e =>
        {
            e.ToTable("sync_log");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.ClientId).HasColumnName("client_id");
            e.Property(x => x.Direction).HasColumnName("direction");
            e.Property(x => x.Status).HasColumnName("status");
            e.Property(x => x.Events).HasColumnName("events");
            e.Property(x => x.Acknowledged).HasColumnName("acknowledged");
            e.Property(x => x.Conflicts).HasColumnName("conflicts");
            e.Property(x => x.Rejected).HasColumnName("rejected");
            e.Property(x => x.Changes).HasColumnName("changes");
            e.Property(x => x.DurationMs).HasColumnName("duration_ms");
            e.Property(x => x.Error).HasColumnName("error");
            e.Property(x => x.At).HasColumnName("at");
        });
    }
}
