using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace RealtimeSync.Testing;

/// <summary>An invocation the server sent to the client: <c>{"type":1,"target":...,"arguments":[...]}</c>.</summary>
public sealed record HubInvocation(string Target, IReadOnlyList<JsonElement> Arguments);

/// <summary>
/// A real SignalR client in a few lines: negotiate (to learn the connection id), then the JSON hub protocol
/// over a WebSocket, speaking exactly what the server sees from @microsoft/signalr over WebSockets, with
/// nothing in between (the .NET SignalR client, used where a test reads better, reconnects and buffers). It records every invocation it receives, answers
/// nothing, pings the server so it is not dropped, and every wait is bounded.
/// </summary>
public sealed class RawHubClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const char RecordSeparator = HubWire.RecordSeparator;

    private readonly ClientWebSocket socket = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, TaskCompletionSource<JsonElement>> calls = [];
    private readonly List<HubInvocation> invocations = [];
    private readonly object gate = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task receiving = Task.CompletedTask;
    private Task pinging = Task.CompletedTask;
    private int nextInvocationId;
    private volatile bool closing;

    private RawHubClient(string connectionId)
    {
        ConnectionId = connectionId;
    }

    /// <summary>The id the server knows this connection by (<c>Clients.Client(id)</c>, <c>Groups.AddToGroupAsync(id, ...)</c>).</summary>
    public string ConnectionId { get; }

    /// <summary>Why the connection ended, when the server or the network ended it.</summary>
    public string? Failure { get; private set; }

    /// <summary>Everything received so far, in arrival order.</summary>
    public IReadOnlyList<HubInvocation> Invocations
    {
        get
        {
            lock (gate)
            {
                return [.. invocations];
            }
        }
    }

    /// <summary>
    /// POST {hub}/negotiate?negotiateVersion=1 with the bearer token, then
    /// ws://…{hub}?id={connectionToken}&amp;access_token=… and the JSON protocol handshake.
    /// </summary>
    public static async Task<RawHubClient> ConnectAsync(Uri server, string token, string hubPath = "/hubs/sync", TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var hub = new Uri(server, hubPath);
        Negotiation negotiation;
        using (var http = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(hub + "/negotiate?negotiateVersion=1"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cts.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"negotiate answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cts.Token)}");
            }

            negotiation = await response.Content.ReadFromJsonAsync<Negotiation>(JsonSerializerOptions.Web, cts.Token)
                ?? throw new InvalidOperationException("negotiate answered nothing");
        }

        if (negotiation.ConnectionId is null || negotiation.ConnectionToken is null)
        {
            throw new InvalidOperationException($"negotiate gave no connection id/token: {negotiation.Error}");
        }

        var client = new RawHubClient(negotiation.ConnectionId);
        try
        {
            var ws = new UriBuilder(hub)
            {
                Scheme = hub.Scheme == "https" ? "wss" : "ws",
                Query = $"id={Uri.EscapeDataString(negotiation.ConnectionToken)}&access_token={Uri.EscapeDataString(token)}",
            }.Uri;
            await client.socket.ConnectAsync(ws, cts.Token);
            client.receiving = client.ReceiveLoopAsync();
            await client.SendRawAsync("{\"protocol\":\"json\",\"version\":1}" + RecordSeparator, cts.Token);
            await client.handshake.Task.WaitAsync(cts.Token);
            client.pinging = client.PingLoopAsync();
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Calls a hub method and returns its result (a hub error becomes an exception).</summary>
    public async Task<JsonElement> InvokeAsync(string method, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref nextInvocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            calls[id] = completion;
        }

        using var cts = new CancellationTokenSource(DefaultTimeout);
        await SendRawAsync(JsonSerializer.Serialize(new { type = 1, invocationId = id, target = method, arguments }) + RecordSeparator, cts.Token);
        try
        {
            return await completion.Task.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{method} did not complete within {DefaultTimeout.TotalSeconds} s.");
        }
    }

    /// <summary>The first invocation of <paramref name="target"/> (from the start) that matches.</summary>
    public async Task<HubInvocation> WaitForAsync(string target, Func<HubInvocation, bool>? match = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            Task next;
            lock (gate)
            {
                var found = invocations.FirstOrDefault(i => i.Target == target && (match is null || match(i)));
                if (found is not null)
                {
                    return found;
                }

                if (Failure is not null)
                {
                    throw new InvalidOperationException($"The connection ended before '{target}' arrived: {Failure}\n{TranscriptLocked()}");
                }

                next = changed.Task;
            }

            try
            {
                await next.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No '{target}' invocation arrived within {limit.TotalSeconds} s on connection {ConnectionId}.\n{Transcript()}");
            }
        }
    }

    /// <summary>What was received, for failure messages.</summary>
    public string Transcript()
    {
        lock (gate)
        {
            return TranscriptLocked();
        }
    }

    public async ValueTask DisposeAsync()
    {
        closing = true;
        await HubWire.CloseAsync(socket, receiving, TimeSpan.FromSeconds(3));

        await stop.CancelAsync();
        socket.Abort();
        await Task.WhenAll(receiving, pinging).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        socket.Dispose();
        stop.Dispose();
        sendLock.Dispose();
    }

    private string TranscriptLocked() =>
        "received:\n" + string.Join('\n', invocations.Select(i => $"  {i.Target}({string.Join(", ", i.Arguments.Select(a => a.GetRawText()))})"));

    private Task SendRawAsync(string text, CancellationToken ct) => HubWire.SendTextAsync(socket, sendLock, text, ct);

    /// <summary>The server drops a client it has not heard from for 30 s.</summary>
    private async Task PingLoopAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), stop.Token);
                await SendRawAsync("{\"type\":6}" + RecordSeparator, stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            Fail(await HubWire.ReceiveMessagesAsync(socket, OnMessage, stop.Token, initialBufferSize: 16 * 1024));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (WebSocketException e)
        {
            Fail(e.Message);
        }
    }

    // One message can carry several hub messages, each ended by the record separator.
    private void OnMessage(ReadOnlySpan<byte> message)
    {
        foreach (var record in Encoding.UTF8.GetString(message).Split(RecordSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            Dispatch(record);
        }
    }

    private void Dispatch(string record)
    {
        using var json = JsonDocument.Parse(record);
        var root = json.RootElement;
        if (HubWire.TryCompleteHandshake(root, handshake))
        {
            return;
        }

        switch (root.GetProperty("type").GetInt32())
        {
            case 1:
                var invocation = new HubInvocation(
                    root.GetProperty("target").GetString()!,
                    root.TryGetProperty("arguments", out var arguments) ? [.. arguments.EnumerateArray().Select(a => a.Clone())] : []);
                lock (gate)
                {
                    invocations.Add(invocation);
                    Pulse();
                }

                break;
            case 3:
                Complete(root);
                break;
            case 7:
                Fail($"the server closed the connection: {(root.TryGetProperty("error", out var reason) ? reason.ToString() : "no reason")}");
                break;
        }
    }

    private void Complete(JsonElement root)
    {
        TaskCompletionSource<JsonElement>? completion;
        lock (gate)
        {
            var id = root.GetProperty("invocationId").GetString()!;
            if (!calls.Remove(id, out completion))
            {
                return;
            }
        }

        if (root.TryGetProperty("error", out var error))
        {
            completion.TrySetException(new InvalidOperationException(error.GetString()));
        }
        else
        {
            completion.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
        }
    }

    private void Fail(string reason)
    {
        if (closing)
        {
            return;
        }

        lock (gate)
        {
            Failure ??= reason;
            foreach (var call in calls.Values)
            {
                call.TrySetException(new InvalidOperationException(reason));
            }

            calls.Clear();
            Pulse();
        }

        handshake.TrySetException(new InvalidOperationException(reason));
    }

    private void Pulse()
    {
        var previous = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private sealed record Negotiation(string? ConnectionId, string? ConnectionToken, string? Error);
}
