using Microsoft.AspNetCore.SignalR;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Realtime.Backplane;

/// <summary>
/// SignalR's user id is the token's <c>sub</c>. The default provider reads NameIdentifier, which is never
/// there: JwtBearer runs with MapInboundClaims = false, so claims keep their JWT names.
/// </summary>
public sealed class SubjectUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User.FindFirst(ClaimNames.Subject)?.Value;
}
