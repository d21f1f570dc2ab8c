using Microsoft.AspNetCore.SignalR;
using Serilog.Events;

namespace RealtimeSync.Hub.Infrastructure.Logging;

/// <summary>
/// A hub method that refuses a client (a channel it may not subscribe to, a malformed name) throws a
/// <see cref="HubException"/>: the client gets the message as its invocation error, and the hub logs the
/// refusal itself at Warning. SignalR's dispatcher would also log it at Error with a stack trace, which
/// would page an operator for a client's mistake; that second entry is dropped. Any other exception in a
/// hub method is still logged at Error.
/// </summary>
internal static class ExpectedHubErrors
{
    private const string Dispatcher = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    public static bool IsClientRefusal(LogEvent logEvent) =>
        logEvent.Exception is HubException
        && logEvent.Properties.TryGetValue("SourceContext", out var source)
        && source is ScalarValue { Value: Dispatcher };
}
