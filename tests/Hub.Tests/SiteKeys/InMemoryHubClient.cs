using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.SiteKeys;

/// <summary>
/// A bare SignalR JSON-protocol client over the test server's in-memory WebSocket (what a browser does with
/// skipNegotiation): handshake, invocations with their completions, and pushed <c>publication</c> messages.
/// Enough to check what the hub allows a token. Testing's RawHubClient needs a real socket (it negotiates over
/// HTTP first); this one works on the in-memory test server BackendSuite hosts start.
/// </summary>
public sealed class InMemoryHubClient : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly WebSocket socket;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> pending = new();
    private readonly List<JsonElement> publications = [];
    private readonly CancellationTokenSource stop = new();
    private readonly StringBuilder partial = new();
    private readonly Decoder utf8 = Encoding.UTF8.GetDecoder(); // a frame may end inside a character
    private TaskCompletionSource published = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? reader;
    private int nextId;

    private InMemoryHubClient(WebSocket socket)
    {
        this.socket = socket;
    }

    public static async Task<InMemoryHubClient> ConnectAsync(HubApp app, string token)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var socket = await app.Server.CreateWebSocketClient()
            .ConnectAsync(new Uri($"ws://localhost/hubs/sync?access_token={Uri.EscapeDataString(token)}"), cts.Token);
        var client = new InMemoryHubClient(socket);
        await client.SendAsync("""{"protocol":"json","version":1}""", cts.Token);
        var handshake = await client.ReceiveRecordsAsync(cts.Token);
        using (var answer = JsonDocument.Parse(handshake[0]))
        {
            if (answer.RootElement.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"Handshake refused: {error}");
            }
        }

        foreach (var record in handshake.Skip(1))
        {
            client.Dispatch(record);
        }

        client.reader = client.ReadLoopAsync();
        return client;
    }

    /// <summary>Invokes a hub method; the completion message (<c>result</c> or <c>error</c>).</summary>
    public async Task<JsonElement> InvokeAsync(string target, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = completion;
        await SendAsync(JsonSerializer.Serialize(new { type = 1, invocationId = id, target, arguments }), stop.Token);
        return await completion.Task.WaitAsync(Timeout);
    }

    /// <summary>Subscribe(channel, null): the hub's refusal (its HubException message), null when accepted.</summary>
    public async Task<string?> SubscribeAsync(string channel)
    {
        var completion = await InvokeAsync("Subscribe", channel, null);
        if (!completion.TryGetProperty("error", out var error))
        {
            return null;
        }

        // SignalR wraps it: "An unexpected error occurred invoking 'Subscribe' on the server. HubException: {message}".
        const string marker = "HubException: ";
        var text = error.GetString()!;
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? text : text[(at + marker.Length)..];
    }

    /// <summary>Waits for the first publication that matches.</summary>
    public async Task<JsonElement> WaitForPublicationAsync(Func<JsonElement, bool> match)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            Task next;
            lock (publications)
            {
                foreach (var p in publications.Where(match))
                {
                    return p;
                }

                next = published.Task;
            }

            try
            {
                await next.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"No matching publication within {Timeout.TotalSeconds} s; got: {string.Join(", ", Publications.Select(p => p.GetRawText()))}");
            }
        }
    }

    public IReadOnlyList<JsonElement> Publications
    {
        get
        {
            lock (publications)
            {
                return [.. publications];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (reader is not null)
        {
            try
            {
                await reader;
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                // closing
            }
        }

        socket.Abort();
        socket.Dispose();
        stop.Dispose();
    }

    private Task SendAsync(string json, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, ct);

    private async Task ReadLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var records = await ReceiveRecordsAsync(stop.Token);
            if (records.Count == 0)
            {
                return; // closed by the server
            }

            foreach (var record in records)
            {
                Dispatch(record);
            }
        }
    }

    /// <summary>The complete records of the next frame(s); empty when the socket closed.</summary>
    private async Task<List<string>> ReceiveRecordsAsync(CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return [];
            }

            var chars = new char[utf8.GetCharCount(buffer, 0, result.Count)];
            partial.Append(chars, 0, utf8.GetChars(buffer, 0, result.Count, chars, 0));
            var text = partial.ToString();
            var end = text.LastIndexOf(RecordSeparator);
            if (result.EndOfMessage && end >= 0)
            {
                partial.Clear().Append(text[(end + 1)..]);
                return text[..end].Split(RecordSeparator).ToList();
            }
        }
    }

    private void Dispatch(string record)
    {
        using var document = JsonDocument.Parse(record);
        var message = document.RootElement.Clone();
        switch (message.GetProperty("type").GetInt32())
        {
            case 1 when message.GetProperty("target").GetString() == "publication":
                lock (publications)
                {
                    publications.Add(message.GetProperty("arguments")[0]);
                    var previous = published;
                    published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    previous.TrySetResult();
                }

                break;
            case 3 when pending.TryRemove(message.GetProperty("invocationId").GetString()!, out var completion):
                completion.TrySetResult(message);
                break;
        }
    }
}
