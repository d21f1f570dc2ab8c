namespace RealtimeSync.Hub.DocumentSync.Internal;

/// <summary>
/// Lets <see cref="System.IO.Compression.ZipArchive"/> write onto a response body that forbids synchronous I/O.
/// ZipArchive writes entry trailers (data descriptors, the deflate tail) synchronously from Dispose even on its
/// async path; those small writes are kept here and sent with the next asynchronous write or flush. Large writes
/// (entry data) go out asynchronously at once, so the buffer holds at most <see cref="Threshold"/> bytes plus trailers.
/// </summary>
internal sealed class AsyncOnlyWriteStream(Stream inner) : Stream
{
    private const int Threshold = 64 * 1024;

    private readonly MemoryStream pending = new();
    private long written;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    // ZipArchive in create mode over an unseekable stream asks for the position to record entry offsets.
    public override long Position
    {
        get => written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        pending.Write(buffer);
        written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        written += buffer.Length;
        if (pending.Length + buffer.Length < Threshold)
        {
            pending.Write(buffer.Span);
            return;
        }

        await SendPendingAsync(cancellationToken);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await SendPendingAsync(cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

    // Nothing to do synchronously: pending bytes leave with the next async write or flush.
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task SendPendingAsync(CancellationToken ct)
    {
        if (pending.Length > 0)
        {
            await inner.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), ct);
            pending.SetLength(0);
        }
    }
}
