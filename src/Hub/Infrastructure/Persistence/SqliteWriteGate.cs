using System.Collections.Concurrent;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>
/// This process's write transactions on one SQLite file, one at a time, on a dedicated writer thread per file.
/// SQLite has one writer per file, and Microsoft.Data.Sqlite's async methods complete synchronously, so a write
/// transaction is a stretch of synchronous work. Run on the writer thread (<see cref="RunAsync{T}"/>), writes follow
/// each other with no wait in between; with an async lock instead, the next writer's turn began only once a
/// thread-pool thread picked up its continuation — behind every queued work item of a busy node (the edit-latency
/// benchmark measured 67 ms at p99 for that hand-over alone), while the file stayed idle and every later writer
/// waited too. Callers that need a turn around work of their own (<see cref="EnterAsync"/>) hold the writer
/// thread until they dispose it. Other processes writing the same file still rely on SQLite's busy timeout.
/// </summary>
public sealed class SqliteWriteGate : IDisposable
{
    private readonly ConcurrentDictionary<string, DedicatedThread> writers = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="work"/> on the file's writer thread once the writes queued before it are done, with the
    /// caller's execution context (trace, culture). It should not wait on anything but the database; whatever it
    /// does after an await that really waits continues on the thread pool while the writer thread waits for it.
    /// </summary>
    public Task<T> RunAsync<T>(string connectionString, Func<Task<T>> work, CancellationToken ct)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = ExecutionContext.Capture();
        WriterOf(connectionString).Post(() =>
        {
            if (ct.IsCancellationRequested)
            {
                done.TrySetCanceled(ct);
                return;
            }

            try
            {
                var task = context is null ? work() : RunIn(context, work);
                done.TrySetResult(task.GetAwaiter().GetResult());
            }
            catch (OperationCanceledException e) when (ct.IsCancellationRequested)
            {
                done.TrySetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>A turn for the caller's own work: no other write of this process runs until it is disposed.</summary>
    public async Task<IDisposable> EnterAsync(string connectionString, CancellationToken ct)
    {
        var turn = new Turn();
        var granted = new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cancel = ct.Register(() => granted.TrySetCanceled(ct));
        WriterOf(connectionString).Post(() =>
        {
            if (granted.TrySetResult(turn))
            {
                turn.WaitReleased();
            }
        });
        return await granted.Task;
    }

    public void Dispose()
    {
        foreach (var writer in writers.Values)
        {
            writer.Dispose();
        }
    }

    private DedicatedThread WriterOf(string connectionString) => writers.GetOrAdd(connectionString, _ => new DedicatedThread("sqlite-writer"));

    private static Task<T> RunIn<T>(ExecutionContext context, Func<Task<T>> work)
    {
        Task<T>? task = null;
        ExecutionContext.Run(context, _ => task = work(), null);
        return task!;
    }

    private sealed class Turn : IDisposable
    {
        private readonly ManualResetEventSlim released = new();

        public void WaitReleased() => released.Wait();

        public void Dispose() => released.Set();
    }
}
