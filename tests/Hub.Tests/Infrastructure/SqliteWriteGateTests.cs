using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>The SQLite writer thread: one write at a time per file, in order, with the caller's context.</summary>
public sealed class SqliteWriteGateTests
{
    private const string File = "Data Source=a.db";
    private static readonly AsyncLocal<string> Ambient = new();

    [Fact]
    public async Task Writes_of_one_file_run_one_at_a_time_in_the_order_they_came()
    {
        using var gate = new SqliteWriteGate();
        var running = 0;
        var overlapped = false;
        var order = new List<int>();
        var writes = Enumerable.Range(0, 50).Select(i => gate.RunAsync(File, async () =>
        {
            overlapped |= Interlocked.Increment(ref running) > 1;
            order.Add(i);
            if (i % 10 == 0)
            {
                await Task.Delay(5); // a write that really waits still holds the file
            }

            Interlocked.Decrement(ref running);
            return i;
        }, CancellationToken.None)).ToList();

        Assert.Equal(Enumerable.Range(0, 50), await Task.WhenAll(writes));
        Assert.False(overlapped);
        Assert.Equal(Enumerable.Range(0, 50), order);
    }

    [Fact]
    public async Task A_write_runs_on_the_writer_thread_with_the_callers_context()
    {
        using var gate = new SqliteWriteGate();
        Ambient.Value = "edit-42";
        var (context, thread) = await gate.RunAsync(File, () => Task.FromResult((Ambient.Value, Thread.CurrentThread.Name)), CancellationToken.None);
        Assert.Equal("edit-42", context);
        Assert.Equal("sqlite-writer", thread);
    }

    [Fact]
    public async Task A_failed_write_fails_its_caller_and_the_next_write_still_runs()
    {
        using var gate = new SqliteWriteGate();
        var failing = gate.RunAsync<int>(File, () => throw new InvalidOperationException("constraint"), CancellationToken.None);
        var next = gate.RunAsync(File, () => Task.FromResult(7), CancellationToken.None);

        Assert.Equal("constraint", (await Assert.ThrowsAsync<InvalidOperationException>(() => failing)).Message);
        Assert.Equal(7, await next);
    }

    [Fact]
    public async Task A_write_cancelled_while_queued_never_runs()
    {
        using var gate = new SqliteWriteGate();
        using var turn = await gate.EnterAsync(File, CancellationToken.None); // holds the writer thread
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var queued = gate.RunAsync(File, () => Task.FromResult(ran = true), cancel.Token);
        await cancel.CancelAsync();
        turn.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.Equal(1, await gate.RunAsync(File, () => Task.FromResult(1), CancellationToken.None));
        Assert.False(ran);
    }

    [Fact]
    public async Task A_held_turn_keeps_other_writes_of_the_file_waiting_but_not_writes_of_another_file()
    {
        using var gate = new SqliteWriteGate();
        var turn = await gate.EnterAsync(File, CancellationToken.None);
        var sameFile = gate.RunAsync(File, () => Task.FromResult("a"), CancellationToken.None);
        var otherFile = gate.RunAsync("Data Source=b.db", () => Task.FromResult("b"), CancellationToken.None);

        Assert.Equal("b", await otherFile.WaitAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(100);
        Assert.False(sameFile.IsCompleted);
        turn.Dispose();
        Assert.Equal("a", await sameFile.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task After_dispose_a_write_is_refused()
    {
        var gate = new SqliteWriteGate();
        Assert.Equal(1, await gate.RunAsync(File, () => Task.FromResult(1), CancellationToken.None));
        gate.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => gate.RunAsync(File, () => Task.FromResult(2), CancellationToken.None));
        gate.Dispose(); // a second dispose (DI disposes a service registered twice twice) is harmless
    }
}
