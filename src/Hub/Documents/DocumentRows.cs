using Microsoft.EntityFrameworkCore;

namespace RealtimeSync.Hub.Documents;

public sealed class DocumentRow
{
    public required string TenantId { get; init; }

    public required string Id { get; init; }

    public required string Filename { get; set; }

    public required string Mime { get; set; }

    public int CurrentVersion { get; set; }

    /// <summary>The ONLYOFFICE key of the current version's editing session.</summary>
    public required string DocKey { get; set; }

    public long Size { get; set; }

    public required string Md5 { get; set; }

    public required string Sha256 { get; set; }

    /// <summary>editing | closed | null (never opened).</summary>
    public string? SessionState { get; set; }

    public DateTimeOffset? SessionAt { get; set; }

    /// <summary>Tenant change sequence of the last change of this row (documents/sync cursor).</summary>
    public long Seq { get; set; }

    public bool Deleted { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }

    public string? DeletedBy { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public required string UpdatedBy { get; set; }
}

public sealed class DocumentVersionRow
{
    public required string TenantId { get; init; }

    public required string DocumentId { get; init; }

    public int Version { get; init; }

    public required string BlobKey { get; init; }

    public long Size { get; init; }

    public required string Md5 { get; init; }

    public required string Sha256 { get; init; }

    /// <summary>upload | callback-2 | callback-3 | callback-6 | callback-7 | restore-vN.</summary>
    public required string Source { get; init; }

    /// <summary>The key the editing session that produced this version had.</summary>
    public required string DocKey { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }
}

public sealed class SaveJobRow
{
    public long Id { get; init; }

    public required string TenantId { get; init; }

    public required string DocumentId { get; init; }

    public required string DocKey { get; init; }

    public int CbStatus { get; init; }

    public required string LastSave { get; init; }

    /// <summary>pending | committed | failed.</summary>
    public required string State { get; set; }

    /// <summary>The node whose spool folder holds the file.</summary>
    public required string NodeId { get; init; }

    public required string SpoolFile { get; init; }

    public long Size { get; init; }

    public required string Md5 { get; init; }

    public required string Sha256 { get; init; }

    public int Attempts { get; set; }

    public string? LastError { get; set; }

    public string? Owner { get; set; }

    public long LeaseUntilMs { get; set; }

    public long NextAttemptMs { get; set; }

    public int? CommittedVersion { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class DocumentCallbackRow
{
    public long Id { get; init; }

    public required string TenantId { get; init; }

    public required string DocumentId { get; init; }

    public required string DocKey { get; init; }

    public int CbStatus { get; init; }

    public string? LastSave { get; init; }

    /// <summary>spooled | duplicate | session | failed | rejected.</summary>
    public required string Outcome { get; init; }

    public string? Detail { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>The documents tables' mapping (called from the DbContext, kept here so the feature stays in one folder).</summary>
public static class DocumentModel
{
    public static void Configure(ModelBuilder model)
    {
        model.Entity<DocumentRow>(e =>
        {
            e.ToTable("documents");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Filename).HasColumnName("filename");
            e.Property(x => x.Mime).HasColumnName("mime");
            e.Property(x => x.CurrentVersion).HasColumnName("current_version");
            e.Property(x => x.DocKey).HasColumnName("doc_key");
            e.Property(x => x.Size).HasColumnName("size");
            e.Property(x => x.Md5).HasColumnName("md5");
            e.Property(x => x.Sha256).HasColumnName("sha256");
            e.Property(x => x.SessionState).HasColumnName("session_state");
            e.Property(x => x.SessionAt).HasColumnName("session_at");
            e.Property(x => x.Seq).HasColumnName("seq");
            e.Property(x => x.Deleted).HasColumnName("deleted");
            e.Property(x => x.DeletedAt).HasColumnName("deleted_at");
            e.Property(x => x.DeletedBy).HasColumnName("deleted_by");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.CreatedBy).HasColumnName("created_by");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.UpdatedBy).HasColumnName("updated_by");
        });
        model.Entity<DocumentVersionRow>(e =>
        {
            e.ToTable("document_versions");
            e.HasKey(x => new { x.TenantId, x.DocumentId, x.Version });
            e.HasOne<DocumentRow>().WithMany().HasForeignKey(x => new { x.TenantId, x.DocumentId }); // inserts the document first
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.DocumentId).HasColumnName("document_id");
            e.Property(x => x.Version).HasColumnName("version").ValueGeneratedNever();
            e.Property(x => x.BlobKey).HasColumnName("blob_key");
            e.Property(x => x.Size).HasColumnName("size");
            e.Property(x => x.Md5).HasColumnName("md5");
            e.Property(x => x.Sha256).HasColumnName("sha256");
            e.Property(x => x.Source).HasColumnName("source");
            e.Property(x => x.DocKey).HasColumnName("doc_key");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.CreatedBy).HasColumnName("created_by");
        });
        model.Entity<SaveJobRow>(e =>
        {
            e.ToTable("save_jobs");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.DocumentId).HasColumnName("document_id");
            e.Property(x => x.DocKey).HasColumnName("doc_key");
            e.Property(x => x.CbStatus).HasColumnName("cb_status");
            e.Property(x => x.LastSave).HasColumnName("lastsave");
            e.Property(x => x.State).HasColumnName("state");
            e.Property(x => x.NodeId).HasColumnName("node_id");
            e.Property(x => x.SpoolFile).HasColumnName("spool_file");
            e.Property(x => x.Size).HasColumnName("size");
            e.Property(x => x.Md5).HasColumnName("md5");
            e.Property(x => x.Sha256).HasColumnName("sha256");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.LastError).HasColumnName("last_error");
            e.Property(x => x.Owner).HasColumnName("owner");
            e.Property(x => x.LeaseUntilMs).HasColumnName("lease_until_ms");
            e.Property(x => x.NextAttemptMs).HasColumnName("next_attempt_ms");
            e.Property(x => x.CommittedVersion).HasColumnName("committed_version");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });
        model.Entity<DocumentCallbackRow>(e =>
        {
            e.ToTable("document_callbacks");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.DocumentId).HasColumnName("document_id");
            e.Property(x => x.DocKey).HasColumnName("doc_key");
            e.Property(x => x.CbStatus).HasColumnName("cb_status");
            e.Property(x => x.LastSave).HasColumnName("lastsave");
            e.Property(x => x.Outcome).HasColumnName("outcome");
            e.Property(x => x.Detail).HasColumnName("detail");
            e.Property(x => x.ReceivedAt).HasColumnName("received_at");
        });
    }
}
