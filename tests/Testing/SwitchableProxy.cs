using System.Net;
using System.Net.Sockets;

namespace RealtimeSync.Testing;

/// <summary>
/// A TCP forwarder on 127.0.0.1 standing in for a load balancer: it sends new connections to one upstream,
/// and <see cref="SwitchTo"/> moves it to another and cuts every open connection (as when a node dies).
/// </summary>
public sealed class SwitchableProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly List<TcpClient> open = [];
    private readonly Task accepting;
    private volatile Uri upstream;

    public SwitchableProxy(Uri upstream)
    {
        this.upstream = upstream;
        listener.Start();
        accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

    public void SwitchTo(Uri target)
    {
        upstream = target;
        lock (open)
        {
            foreach (var client in open)
            {
                client.Client?.Close(0);
            }

            open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        SwitchTo(upstream);
        await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient downstream;
            try
            {
                downstream = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ForwardAsync(downstream);
        }
    }

    private async Task ForwardAsync(TcpClient downstream)
    {
        var target = upstream;
        var up = new TcpClient();
        try
        {
            await up.ConnectAsync(target.Host, target.Port);
        }
        catch (SocketException)
        {
            downstream.Client.Close(0);
            up.Dispose();
            return;
        }

        lock (open)
        {
            open.Add(downstream);
            open.Add(up);
        }

        using (downstream)
        using (up)
        {
            var a = downstream.GetStream().CopyToAsync(up.GetStream());
            var b = up.GetStream().CopyToAsync(downstream.GetStream());
            try
            {
                await Task.WhenAny(a, b);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                // one side went away
            }
            finally
            {
                lock (open)
                {
                    open.Remove(downstream);
                    open.Remove(up);
                }
            }
        }
    }
}
