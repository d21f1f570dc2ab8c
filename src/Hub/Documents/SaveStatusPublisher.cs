using RealtimeSync.Hub.Documents.Internal;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Documents;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Documents;

/// <summary>Pushes <c>document.save-status</c> on <c>{tenant}/documents/{id}</c>. A failed push never fails a save.</summary>
public sealed class SaveStatusPublisher(ChannelPublisher publisher, TimeProvider clock, ILogger<SaveStatusPublisher> log)
{
    public static string Channel(string tenant, string documentId) => $"{tenant}/documents/{documentId}";

    public async Task PublishAsync(string tenant, string documentId, string state, int? version, string? error = null, int? attempt = null)
    {
        try
        {
            var status = new DocumentSaveStatus(documentId, state, version, clock.GetUtcNow(), error, attempt);
            await publisher.PublishAsync(Channel(tenant, documentId), PublicationTypes.DocumentSaveStatus, status);
        }
        catch (Exception e)
        {
            DocumentsLog.PublishFailed(log, e, tenant, documentId);
        }
    }
}
