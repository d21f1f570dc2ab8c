using System.Collections.Concurrent;

namespace RealtimeSync.Hub.Infrastructure.Hosting;

/// <summary>
/// One background thread running posted work items in order, outside the thread pool: work posted to it starts as
/// soon as the thread is scheduled, not when a pool thread gets to it behind every queued item of a busy node.
/// </summary>
public sealed class DedicatedThread : IDisposable
{
    private readonly BlockingCollection<Action> queue = new();
    private int disposed;

    public DedicatedThread(string name)
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>Queues <paramref name="work"/>; it must not throw (catch and report inside).</summary>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/> (the host is stopping).</exception>
    public void Post(Action work)
    {
        try
        {
            queue.Add(work);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(DedicatedThread), "The host is stopping: no more work is taken.");
        }
    }

    /// <summary>Takes no more work; what is queued still runs, then the thread ends. Idempotent (DI may dispose a service twice).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            queue.CompleteAdding();
        }
    }

    private void Loop()
    {
        foreach (var work in queue.GetConsumingEnumerable())
        {
            work();
        }

        queue.Dispose();
    }
}
