using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RealtimeSync.Client.Internal;

namespace RealtimeSync.Client;

/// <summary>What one pass of <see cref="RealtimeSyncClient.MirrorDocumentsAsync"/> did.</summary>
/// <param name="Downloaded">Files downloaded (new or changed), each verified against its sha256 before it replaced anything.</param>
/// <param name="Unchanged">Documents listed whose local file was already the server's version.</param>
/// <param name="Removed">Files removed because their document was deleted.</param>
/// <param name="Reset">Whether the server asked for a full resync (the cursor was older than its tombstone retention).</param>
/// <param name="Retried">Downloads that had to be repeated (a hash mismatch or a broken transfer).</param>
public sealed record MirrorResult(int Downloaded, int Unchanged, int Removed, bool Reset, int Retried);

/// <summary>A document version stored by <see cref="RealtimeSyncClient.UploadDocumentAsync"/>.</summary>
/// <param name="Id">The document.</param>
/// <param name="Version">Its new version.</param>
/// <param name="Sha256">The stored bytes' hash.</param>
public sealed record UploadedVersion(string Id, int Version, string Sha256);

public sealed partial class RealtimeSyncClient
{
    private const int DownloadAttempts = 3;

    /// <summary>
    /// Mirrors the tenant's documents into <paramref name="folder"/> (one sub-folder per document id, the file under
    /// its name) through <c>documents/sync</c>: downloads new and changed versions to a temporary file, verifies
    /// sha256 and only then moves it into place (atomic replace), skips unchanged files, removes deleted ones, and
    /// starts over from a full snapshot when the server answers <c>reset</c>.
    /// </summary>
    /// <param name="folder">The mirror folder (created when missing).</param>
    /// <param name="ct">Cancels the pass; what was placed stays, the cursor is kept per page.</param>
    /// <returns>What the pass did.</returns>
    public async Task<MirrorResult> MirrorDocumentsAsync(string folder, CancellationToken ct = default)
    {
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        await EnsureDocumentTablesAsync(ct);
        int downloaded = 0, unchanged = 0, removed = 0, retried = 0;
        var reset = false;
        var cursor = await store.InTransactionAsync(async tx => (string?)await tx.ScalarAsync("SELECT cursor FROM document_cursors WHERE tenant = $t AND folder = $f", ("$t", Tenant), ("$f", folder)), ct);
        // Without a cursor the answer is a full snapshot: what it does not list is gone from the server.
        HashSet<string>? seen = cursor is null ? [] : null;
        while (true)
        {
            var query = $"api/tenants/{Uri.EscapeDataString(Tenant)}/documents/sync?limit=500" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var page = await retry.ExecuteAsync(async token => await http.GetAsync(query, token), ct);
            if (page["reset"] is JsonValue r && r.GetValue<bool>())
            {
                reset = true;
                cursor = null;
                seen = [];
                continue;
            }

            foreach (var doc in (page["added"]?.AsArray() ?? []).Concat(page["modified"]?.AsArray() ?? []))
            {
                var id = (string)doc!["id"]!;
                var filename = SafeName((string)doc["filename"]!);
                var sha = ((string)doc["sha256"]!).ToLowerInvariant();
                var version = (int)doc["version"]!;
                seen?.Add(id);
                var known = await KnownDocumentAsync(folder, id, ct);
                var target = Path.Combine(folder, SafeName(id), filename);
                if (known is not null && known.Value.Sha256 == sha && known.Value.Path == target && File.Exists(target) && await Sha256Async(target, ct) == sha)
                {
                    if (known.Value.Version != version)
                    {
                        await RecordDocumentAsync(folder, id, target, version, sha, ct);
                    }

                    unchanged++;
                    continue;
                }

                retried += await DownloadAsync(id, target, sha, ct);
                if (known is { } old && old.Path != target)
                {
                    DeleteFile(old.Path); // renamed: the old name goes
                }

                await RecordDocumentAsync(folder, id, target, version, sha, ct);
                downloaded++;
            }

            foreach (var tombstone in page["deleted"]?.AsArray() ?? [])
            {
                removed += await RemoveDocumentAsync(folder, (string)tombstone!["id"]!, ct) ? 1 : 0;
            }

            var next = (string?)page["cursor"];
            var more = page["hasMore"] is JsonValue m && m.GetValue<bool>();
            if (!more && seen is not null)
            {
                var tracked = await store.InTransactionAsync(tx => tx.QueryAsync("SELECT id FROM document_files WHERE tenant = $t AND folder = $f", x => x.GetString(0), ("$t", Tenant), ("$f", folder)), ct);
                foreach (var gone in tracked.Where(id => !seen.Contains(id)))
                {
                    removed += await RemoveDocumentAsync(folder, gone, ct) ? 1 : 0;
                }
            }

            await store.InTransactionAsync(tx => tx.ExecuteAsync(
                "INSERT INTO document_cursors (tenant, folder, cursor) VALUES ($t, $f, $c) ON CONFLICT (tenant, folder) DO UPDATE SET cursor = excluded.cursor",
                ("$t", Tenant), ("$f", folder), ("$c", next)), ct);
            cursor = next;
            if (!more)
            {
                break;
            }
        }

        return new MirrorResult(downloaded, unchanged, removed, reset, retried);
    }

    /// <summary>
    /// Uploads <paramref name="file"/> as the next version of document <paramref name="id"/>, from the version this
    /// client last mirrored (or <paramref name="baseVersion"/>). A <see cref="SyncServerException"/> with status 409
    /// means someone saved meanwhile: mirror again, merge, upload again.
    /// </summary>
    /// <param name="id">The document.</param>
    /// <param name="file">The local file with the new content.</param>
    /// <param name="baseVersion">The version the content started from; null for the mirrored one.</param>
    /// <param name="ct">Cancels the upload.</param>
    /// <returns>The stored version.</returns>
    public async Task<UploadedVersion> UploadDocumentAsync(string id, string file, int? baseVersion = null, CancellationToken ct = default)
    {
        await EnsureDocumentTablesAsync(ct);
        var from = baseVersion ?? await store.InTransactionAsync(async tx => await tx.ScalarAsync(
            "SELECT MAX(version) FROM document_files WHERE tenant = $t AND id = $i", ("$t", Tenant), ("$i", id)), ct) switch
        {
            long v => (int)v,
            _ => throw new InvalidOperationException($"Document '{id}' was never mirrored here: give its base version."),
        };
        await using var content = File.OpenRead(file);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/tenants/{Uri.EscapeDataString(Tenant)}/documents/{Uri.EscapeDataString(id)}/content?baseVersion={from}")
        {
            Content = new StreamContent(content),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.RawAsync(request, ct);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        var uploaded = new UploadedVersion(id, (int)answer["version"]!, (string)answer["sha256"]!);
        // The next local edit starts from this version. A mirrored copy holding other bytes is replaced by the next pass.
        await store.InTransactionAsync(tx => tx.ExecuteAsync("UPDATE document_files SET version = $v, sha256 = $s WHERE tenant = $t AND id = $i",
            ("$v", uploaded.Version), ("$t", Tenant), ("$i", id), ("$s", uploaded.Sha256)), ct);
        return uploaded;
    }

    /// <summary>Downloads into a temporary file beside the target, verifies the hash, then moves it into place; returns how many attempts failed.</summary>
    private async Task<int> DownloadAsync(string id, string target, string sha256, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        for (var attempt = 1; ; attempt++)
        {
            var temp = Path.Combine(Path.GetDirectoryName(target)!, $".rs-download-{Guid.NewGuid():N}");
            try
            {
                using (var request = new HttpRequestMessage(HttpMethod.Get, $"api/tenants/{Uri.EscapeDataString(Tenant)}/documents/{Uri.EscapeDataString(id)}/content"))
                using (var response = await http.RawAsync(request, ct))
                await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                {
                    await (await response.Content.ReadAsStreamAsync(ct)).CopyToAsync(output, ct);
                    await output.FlushAsync(ct);
                }

                if (await Sha256Async(temp, ct) == sha256)
                {
                    File.Move(temp, target, overwrite: true); // a rename within the folder: readers see the old or the new file, never a part
                    return attempt - 1;
                }

                if (attempt >= DownloadAttempts)
                {
                    throw new InvalidDataException($"Document '{id}' did not match its sha256 after {attempt} downloads; the local file was left as it was.");
                }
            }
            catch (Exception e) when (attempt < DownloadAttempts && e is HttpRequestException or IOException && e is not InvalidDataException)
            {
                // a broken transfer: try again
            }
            finally
            {
                DeleteFile(temp);
            }
        }
    }

    private async Task<bool> RemoveDocumentAsync(string folder, string id, CancellationToken ct)
    {
        var known = await KnownDocumentAsync(folder, id, ct);
        if (known is null)
        {
            return false;
        }

        DeleteFile(known.Value.Path);
        var directory = Path.GetDirectoryName(known.Value.Path)!;
        if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
        }

        await store.InTransactionAsync(tx => tx.ExecuteAsync("DELETE FROM document_files WHERE tenant = $t AND folder = $f AND id = $i", ("$t", Tenant), ("$f", folder), ("$i", id)), ct);
        return true;
    }

    private Task<(string Path, int Version, string Sha256)?> KnownDocumentAsync(string folder, string id, CancellationToken ct) =>
        store.InTransactionAsync(async tx => (await tx.QueryAsync("SELECT path, version, sha256 FROM document_files WHERE tenant = $t AND folder = $f AND id = $i",
            x => ((string, int, string)?)(x.GetString(0), x.GetInt32(1), x.GetString(2)), ("$t", Tenant), ("$f", folder), ("$i", id))).FirstOrDefault(), ct);

    private Task<int> RecordDocumentAsync(string folder, string id, string path, int version, string sha256, CancellationToken ct) =>
        store.InTransactionAsync(tx => tx.ExecuteAsync("""
            INSERT INTO document_files (tenant, folder, id, path, version, sha256) VALUES ($t, $f, $i, $p, $v, $s)
            ON CONFLICT (tenant, folder, id) DO UPDATE SET path = excluded.path, version = excluded.version, sha256 = excluded.sha256
            """, ("$t", Tenant), ("$f", folder), ("$i", id), ("$p", path), ("$v", version), ("$s", sha256)), ct);

    private Task<int> EnsureDocumentTablesAsync(CancellationToken ct) =>
        store.InTransactionAsync(tx => tx.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS document_files (
                tenant TEXT NOT NULL, folder TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, version INTEGER NOT NULL, sha256 TEXT NOT NULL,
                PRIMARY KEY (tenant, folder, id));
            CREATE TABLE IF NOT EXISTS document_cursors (tenant TEXT NOT NULL, folder TEXT NOT NULL, cursor TEXT NULL, PRIMARY KEY (tenant, folder));
            """), ct);

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    /// <summary>A server-given name as one safe path segment (no folders, no "..").</summary>
    private static string SafeName(string name)
    {
        var safe = string.Concat(Path.GetFileName(name).Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
        return safe is "" or "." or ".." ? "_" : safe;
    }

    private static void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // held open elsewhere: the next pass tries again
        }
    }
}
