using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.DocumentSync;

/// <summary>
/// Writes document rows straight into the database following the store's protocol (take the tenant's seq from
/// <c>tenant_counters</c> first in the transaction, then write the row), for volumes and interleavings that
/// uploads through the API cannot produce quickly.
/// </summary>
internal static class SyncTestData
{
    public static HttpClient Client(HubApp app, string tenant = "demo", string role = "editor")
    {
        var client = app.CreateClient();
        var token = app.Services.GetRequiredService<TokenIssuer>().Issue(tenant, "sync-client", [role], TimeSpan.FromMinutes(30));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task AddTenantAsync(HubApp app, string tenant)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        db.Tenants.Add(new TenantRow { Id = tenant, Name = tenant, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
    }

    /// <summary>Uploads a file through the API; returns (id, sha256).</summary>
    public static async Task<(string Id, string Sha256)> UploadAsync(HttpClient client, byte[] bytes, string filename = "notes.docx", string tenant = "demo")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        form.Add(file, "file", filename);
        using var response = await client.PostAsync($"/api/tenants/{tenant}/documents", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var sha = body["sha256"]!.GetValue<string>();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha);
        return (body["id"]!.GetValue<string>(), sha);
    }

    /// <summary>Inserts <paramref name="count"/> documents in one transaction that reserves <paramref name="count"/> seqs first.</summary>
    public static async Task<List<string>> InsertDocumentsAsync(HubApp app, string tenant, int count, string prefix)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var tx = await db.Database.BeginTransactionAsync();
        var last = await TakeSeqsAsync(db, tenant, count);
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var id = $"{prefix}-{i:D6}";
            ids.Add(id);
            db.Documents.Add(Row(tenant, id, last - count + 1 + i));
        }

        await db.SaveChangesAsync();
        await tx.CommitAsync();
        return ids;
    }

    /// <summary>Reserves <paramref name="count"/> seqs (the store's counter upsert); returns the last one. Holds the counter row lock until the transaction ends.</summary>
    public static async Task<long> TakeSeqsAsync(RealtimeSyncDb db, string tenant, int count) =>
        (await db.Database.SqlQuery<long>($"""
            INSERT INTO tenant_counters (tenant_id, last_seq) VALUES ({tenant}, {(long)count})
            ON CONFLICT (tenant_id) DO UPDATE SET last_seq = tenant_counters.last_seq + {(long)count} RETURNING last_seq AS "Value"
            """).ToListAsync()).Single();

    public static DocumentRow Row(string tenant, string id, long seq)
    {
        var now = DateTimeOffset.UtcNow;
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)));
        return new DocumentRow
        {
            TenantId = tenant, Id = id, Filename = id + ".docx", Mime = "application/octet-stream", CurrentVersion = 1, DocKey = $"{id}-k1",
            Size = id.Length, Md5 = hash[..32], Sha256 = hash, Seq = seq, CreatedAt = now, CreatedBy = "seed", UpdatedAt = now, UpdatedBy = "seed",
        };
    }

    /// <summary>Every row of the tenant's documents table as (id, seq, deleted).</summary>
    public static async Task<List<(string Id, long Seq, bool Deleted)>> TableAsync(HubApp app, string tenant)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        return (await db.Documents.AsNoTracking().Where(d => d.TenantId == tenant).Select(d => new { d.Id, d.Seq, d.Deleted }).ToListAsync())
            .Select(d => (d.Id, d.Seq, d.Deleted)).ToList();
    }
}

/// <summary>
/// A writer that follows the store's protocol but can stop between taking its seq and committing, to force
/// interleavings: while it holds seq N, any other writer of the tenant waits for the counter row.
/// </summary>
internal sealed class HeldWriter : IAsyncDisposable
{
    private readonly AsyncServiceScope scope;
    private readonly RealtimeSyncDb db;
    private Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? tx;

    public HeldWriter(HubApp app)
    {
        scope = app.Services.CreateAsyncScope();
        db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
    }

    public long Seq { get; private set; }

    /// <summary>Begins, takes the seq and writes the row; the transaction stays open.</summary>
    public async Task WriteAsync(string tenant, string id)
    {
        tx = await db.Database.BeginTransactionAsync();
        Seq = await SyncTestData.TakeSeqsAsync(db, tenant, 1);
        db.Documents.Add(SyncTestData.Row(tenant, id, Seq));
        await db.SaveChangesAsync();
    }

    public Task CommitAsync() => tx!.CommitAsync();

    public async ValueTask DisposeAsync()
    {
        if (tx is not null)
        {
            await tx.DisposeAsync();
        }

        await scope.DisposeAsync();
    }
}
