using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Documents.Internal;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.Documents;

/// <summary>What the callback endpoint answers.</summary>
/// <param name="HttpStatus">200 with <c>{"error":0}</c>, or a problem status.</param>
/// <param name="Field">The offending field of a refused callback.</param>
/// <param name="Detail">Why it was refused.</param>
public sealed record CallbackAnswer(int HttpStatus, string? Field = null, string? Detail = null)
{
    public static readonly CallbackAnswer Ok = new(StatusCodes.Status200OK);
}

/// <summary>
/// ONLYOFFICE callbacks (DESIGN §7). The callback URL carries an HMAC of tenant and document (so ids cannot
/// be guessed across tenants), the body must be signed with the JWT secret (no secret: every callback is refused), and a
/// save is acknowledged only once the file is fsynced in the spool and its save_jobs row exists.
/// </summary>
public sealed class CallbackHandler(
    RealtimeSyncDb db,
    DocumentStore store,
    SaveSpool spool,
    SavePipeline pipeline,
    SaveStatusPublisher status,
    DocumentServerClient documentServer,
    SigningKeys keys,
    NodeInfo node,
    Tracing tracing,
    TimeProvider clock,
    IOptionsMonitor<OnlyOfficeOptions> onlyOffice,
    ILogger<CallbackHandler> log)
{
    /// <summary>Largest callback body read (the JSON, not the file).</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private const string KeyRule = "key must be a document key ([0-9a-zA-Z._=-], at most 128)";
    private const string StatusRule = "status must be a number from 0 to 7";

    /// <summary>How the callback body and its signed fields are read: open (Document Server defines them), no content type required.</summary>
    public static readonly BodyContract CallbackContract = new()
    {
        Open = true,
        RequireJsonContentType = false,
        MaxBytes = MaxBodyBytes,
        Title = "Callback refused",
        Rules = new Dictionary<string, string>
        {
            ["key"] = "must be a document key ([0-9a-zA-Z._=-], at most 128)",
            ["status"] = "must be a number from 0 to 7",
            ["url"] = "must be a string",
            ["lastsave"] = "must be a date-time string",
            ["token"] = "must be a JWT string",
        },
    };

    public string Signature(string tenant, string documentId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(keys.Derive("onlyoffice-callback-v1"), Encoding.UTF8.GetBytes($"{tenant}\n{documentId}")));

    public bool VerifySignature(string tenant, string documentId, string? signature) =>
        signature is { Length: 64 } && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(tenant, documentId)), Encoding.ASCII.GetBytes(signature));

    public async Task<CallbackAnswer> HandleAsync(string tenant, string documentId, OnlyOfficeCallbackBody body, string? headerToken, CancellationToken ct)
    {
        using var span = tracing.Start("document.callback", tenant);
        span?.SetTag(ProductTelemetry.DocumentIdTag, documentId);
        var settings = onlyOffice.CurrentValue;
        if (settings.JwtSecret.Length == 0)
        {
            // The signed callback URL only says which document; anyone who ever saw an editor config has it. Only
            // the shared secret proves the body comes from Document Server.
            return Refuse(tenant, documentId, StatusCodes.Status403Forbidden, "OnlyOffice:JwtSecret",
                "OnlyOffice:JwtSecret is not configured, so callbacks cannot be verified and are refused. Set it to Document Server's JWT secret.");
        }

        JsonObject fields;
        // The body token is preferred; the header token wraps the same fields in "payload".
        if (body.Token is { } bodyToken)
        {
            var payload = OnlyOfficeJwt.Verify(bodyToken, settings.JwtSecret, clock.GetUtcNow(), out var error);
            if (payload is null)
            {
                return Refuse(tenant, documentId, StatusCodes.Status403Forbidden, "token", $"The body token {error}.");
            }

            fields = payload;
        }
        else if (headerToken is not null)
        {
            var payload = OnlyOfficeJwt.Verify(headerToken, settings.JwtSecret, clock.GetUtcNow(), out var error);
            if (payload is null)
            {
                return Refuse(tenant, documentId, StatusCodes.Status403Forbidden, settings.JwtHeader, $"The {settings.JwtHeader} token {error}.");
            }

            if (payload["payload"] is not JsonObject wrapped)
            {
                return Refuse(tenant, documentId, StatusCodes.Status403Forbidden, settings.JwtHeader, $"The {settings.JwtHeader} token has no payload object.");
            }

            fields = wrapped;
        }
        else
        {
            return Refuse(tenant, documentId, StatusCodes.Status403Forbidden, "token", "A signed token is required (body token or header).");
        }

        // The signed fields are read into a typed record like any request body; members the hub does not use are
        // skipped (see OnlyOfficeCallback), a member it uses with the wrong type is refused naming it.
        var (callback, invalid) = RequestBody.Bind<OnlyOfficeCallback>(fields, "a Document Server callback", CallbackContract);
        if (invalid is not null)
        {
            return Refuse(tenant, documentId, StatusCodes.Status400BadRequest,
                invalid.ProblemDetails.Extensions.TryGetValue("field", out var field) && field is string named ? named : "token", invalid.ProblemDetails.Detail ?? "The signed fields are not a callback.");
        }

        if (callback!.Key is not { } key || !DocumentKey.IsValid(key))
        {
            return Refuse(tenant, documentId, StatusCodes.Status400BadRequest, "key", KeyRule + ".");
        }

        if (callback.Status is not { } cbStatus || cbStatus is < 0 or > 7)
        {
            return Refuse(tenant, documentId, StatusCodes.Status400BadRequest, "status", StatusRule + ".");
        }

        var url = callback.Url;
        var lastSave = callback.Lastsave;
        var idempotency = lastSave ?? (url is null ? "" : "url:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url))));

        var document = await store.FindAsync(tenant, documentId, ct);
        if (document is null)
        {
            return Refuse(tenant, documentId, StatusCodes.Status404NotFound, "documentId", "There is no such document.");
        }

        // A retried or duplicated save callback (on any node) finds its job: acknowledged, nothing stored twice.
        if (cbStatus is 2 or 3 or 6 or 7 && url is not null
            && await db.SaveJobs.AsNoTracking().AnyAsync(j => j.TenantId == tenant && j.DocumentId == documentId && j.DocKey == key && j.CbStatus == cbStatus && j.LastSave == idempotency, ct))
        {
            await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "duplicate", null, ct);
            return CallbackAnswer.Ok;
        }

        // A session opened before the key rotated (a restore, or a save committed while another editor kept the
        // document open) still calls back with the key it was given. Its edits are saved as a new version: a 4xx
        // would make Document Server drop them for good. Only a key this document never had is refused.
        if (!string.Equals(key, document.DocKey, StringComparison.Ordinal)
            && !await db.DocumentVersions.AsNoTracking().AnyAsync(v => v.TenantId == tenant && v.DocumentId == documentId && v.DocKey == key, ct))
        {
            return Refuse(tenant, documentId, StatusCodes.Status400BadRequest, "key", "key is not a key of this document.");
        }

        switch (cbStatus)
        {
            case 1:
                await store.SetSessionAsync(tenant, documentId, "editing", ct);
                await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "session", "editing", ct);
                await status.PublishAsync(tenant, documentId, SaveStates.Editing, document.CurrentVersion);
                return CallbackAnswer.Ok;
            case 4:
                await store.SetSessionAsync(tenant, documentId, "closed", ct);
                await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "session", "closed without changes", ct);
                await status.PublishAsync(tenant, documentId, SaveStates.Closed, document.CurrentVersion);
                return CallbackAnswer.Ok;
            case 2 or 3 or 6 or 7 when url is not null:
                return await SpoolAsync(tenant, documentId, document, key, cbStatus, lastSave, idempotency, url, ct);
            case 3 or 7:
                // Real status-3 bodies may come without a url: nothing to store; the previous version stays current.
                var failure = cbStatus == 3 ? "Document Server could not save the document (status 3)." : "Document Server could not force-save the document (status 7).";
                await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "failed", failure, ct);
                await status.PublishAsync(tenant, documentId, SaveStates.Failed, document.CurrentVersion, failure);
                return CallbackAnswer.Ok;
            case 2 or 6:
                return Refuse(tenant, documentId, StatusCodes.Status400BadRequest, "url", $"A status-{cbStatus} callback needs the url of the edited file.");
            default:
                await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "ignored", null, ct);
                return CallbackAnswer.Ok;
        }
    }

    private async Task<CallbackAnswer> SpoolAsync(string tenant, string documentId, DocumentRow document, string key, int cbStatus, string? lastSave, string idempotency, string url, CancellationToken ct)
    {
        using var span = tracing.Start("document.spool", tenant);
        span?.SetTag(ProductTelemetry.DocumentIdTag, documentId);
        span?.SetTag("rs.callback.status", cbStatus);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var source) || !documentServer.IsDocumentServerUrl(source))
        {
            await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "rejected", "url outside the Document Server origin", ct);
            return Refuse(tenant, documentId, StatusCodes.Status400BadRequest, "url", "url is not on the configured Document Server's origin.");
        }

        SpooledFile file;
        try
        {
            using var response = await documentServer.DownloadAsync(source, ct);
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            file = await spool.WriteAsync(stream, long.MaxValue, ct);
        }
        catch (HttpRequestException e)
        {
            // 5xx: Document Server retries status 2/3 callbacks, so the edit is fetched again later.
            await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "download-failed", e.Message, ct);
            return Refuse(tenant, documentId, StatusCodes.Status502BadGateway, "url", $"The edited file could not be downloaded: {e.Message}");
        }

        var now = clock.GetUtcNow();
        // The job row and the callback record commit together: one database round trip before the acknowledgement.
        db.DocumentCallbacks.Add(new DocumentCallbackRow
        {
            TenantId = tenant, DocumentId = documentId, DocKey = key, CbStatus = cbStatus, LastSave = lastSave, Outcome = "spooled",
            Detail = $"{file.Size} bytes", ReceivedAt = now,
        });
        var job = new SaveJobRow
        {
            TenantId = tenant, DocumentId = documentId, DocKey = key, CbStatus = cbStatus, LastSave = idempotency, State = "pending",
            NodeId = node.NodeId, SpoolFile = file.Name, Size = file.Size, Md5 = file.Md5, Sha256 = file.Sha256, CreatedAt = now, UpdatedAt = now,
        };
        db.SaveJobs.Add(job);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            spool.Delete(file.Name); // not acknowledged unless the job below exists
            db.ChangeTracker.Clear();
            if (!await db.SaveJobs.AsNoTracking().AnyAsync(j => j.DocKey == key && j.CbStatus == cbStatus && j.LastSave == idempotency, CancellationToken.None))
            {
                throw;
            }

            // The same callback was spooled concurrently (another node or a retry): that job stores it.
            await RecordAsync(tenant, documentId, key, cbStatus, lastSave, "duplicate", null, ct);
            return CallbackAnswer.Ok;
        }
        catch
        {
            spool.Delete(file.Name); // not acknowledged: Document Server sends it again
            throw;
        }

        DocumentMetrics.JobsSpooled.Add(1, new KeyValuePair<string, object?>("status", cbStatus));
        DocumentMetrics.Callbacks.Add(1, new KeyValuePair<string, object?>("status", cbStatus), new KeyValuePair<string, object?>("outcome", "spooled"));
        DocumentsLog.Callback(log, tenant, documentId, cbStatus, "spooled");
        if (cbStatus == 6 && document.SessionState != "editing")
        {
            await store.SetSessionAsync(tenant, documentId, "editing", ct); // a force-save means editors are in the document
        }

        await status.PublishAsync(tenant, documentId, SaveStates.Saving, document.CurrentVersion);
        pipeline.Signal(job.Id, span?.Context ?? default);
        return CallbackAnswer.Ok;
    }

    private async Task RecordAsync(string tenant, string documentId, string key, int cbStatus, string? lastSave, string outcome, string? detail, CancellationToken ct)
    {
        DocumentMetrics.Callbacks.Add(1, new KeyValuePair<string, object?>("status", cbStatus), new KeyValuePair<string, object?>("outcome", outcome));
        DocumentsLog.Callback(log, tenant, documentId, cbStatus, outcome);
        db.DocumentCallbacks.Add(new DocumentCallbackRow
        {
            TenantId = tenant, DocumentId = documentId, DocKey = key, CbStatus = cbStatus, LastSave = lastSave, Outcome = outcome,
            Detail = detail, ReceivedAt = clock.GetUtcNow(),
        });
        await db.SaveChangesAsync(ct);
    }

    private CallbackAnswer Refuse(string tenant, string documentId, int httpStatus, string field, string detail)
    {
        DocumentMetrics.Callbacks.Add(1, new KeyValuePair<string, object?>("status", -1), new KeyValuePair<string, object?>("outcome", "refused"));
        DocumentsLog.CallbackRefused(log, tenant, documentId, detail);
        return new CallbackAnswer(httpStatus, field, detail);
    }
}

/// <summary>
/// The unsigned callback body: only its <c>token</c> is read (the fields the hub acts on come from the verified token).
/// Open contract: Document Server sends the same fields unsigned next to the token, and more in each release.
/// </summary>
public sealed record OnlyOfficeCallbackBody(string? Token = null);

/// <summary>
/// The members of a signed Document Server callback the hub uses (api.onlyoffice.com, "Callback handler"). Open
/// contract, deliberately: a callback also carries <c>users</c>, <c>actions</c>, <c>changesurl</c>, <c>history</c>,
/// <c>filetype</c>, <c>forcesavetype</c>, <c>userdata</c> and the token's <c>iat</c>/<c>exp</c>, and new releases add
/// more; a 4xx for any of them would end Document Server's retries and lose the user's edits.
/// </summary>
public sealed record OnlyOfficeCallback(string? Key = null, int? Status = null, string? Url = null, string? Lastsave = null);
