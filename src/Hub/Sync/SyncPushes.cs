using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Sync.Internal;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>Publications on a client's <c>{tenant}/sync/{clientId}</c> channel, through the channel publisher (history, offsets, fan-out).</summary>
public sealed class SyncPushes(ChannelPublisher publisher, ILogger<SyncPushes> log)
{
    /// <summary>Type of the publication that tells a client how one of its conflicts was resolved.</summary>
    public const string ConflictResolvedType = "sync.conflict-resolved";

    public static string Channel(string tenant, string clientId) => $"{tenant}/sync/{clientId}";

    public Task ProgressAsync(string tenant, string clientId, SyncProgress progress) =>
        PublishAsync(Channel(tenant, clientId), PublicationTypes.SyncProgress, progress);

    public Task ResolvedAsync(string tenant, string clientId, ConflictResolved resolved) =>
        PublishAsync(Channel(tenant, clientId), ConflictResolvedType, resolved);

    public Task ChangesAvailableAsync(string channel, SyncChangesAvailable data) =>
        PublishAsync(channel, PublicationTypes.SyncChangesAvailable, data);

    public Task DocumentsChangesAvailableAsync(string tenant, string clientId, DocumentsChangesAvailable data) =>
        PublishAsync(Channel(tenant, clientId), PublicationTypes.DocumentsChangesAvailable, data);

    private async Task PublishAsync<T>(string channel, string type, T data)
    {
        try
        {
            await publisher.PublishAsync(channel, type, data);
            SyncMetrics.Push(type);
        }
        catch (Exception e)
        {
            // A push is a hint; the state is in the database and the client's next sync reads it.
            SyncLog.PushFailed(log, e, type, channel);
        }
    }
}
