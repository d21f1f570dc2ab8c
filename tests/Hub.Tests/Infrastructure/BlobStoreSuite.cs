using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>One behaviour suite for blob storage, run on the local folder and on a real S3 API server (s3rver).</summary>
public abstract class BlobStoreSuite : IAsyncLifetime
{
    private HubApp app = null!;

    protected abstract Dictionary<string, string?> Settings();

    protected abstract string ExpectedKind { get; }

    protected HubApp App => app;

    protected IBlobStore Store => app.Services.GetRequiredService<IBlobStore>();

    // Unique per test so the suites can share one bucket.
    protected string Key(string name) => $"tests/{Guid.NewGuid():N}/{name}";

    public Task InitializeAsync()
    {
        app = new HubApp(Settings());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public void The_configured_store_is_in_use() => Assert.Equal(ExpectedKind, Store.Kind);

    [Fact]
    public async Task Put_then_get_returns_the_exact_bytes_with_their_md5()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var key = Key("report.docx");

        var put = await Store.PutAsync(key, new MemoryStream(bytes), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), put.Md5);
        Assert.Equal(bytes.Length, put.Size);

        await using var got = await Store.GetAsync(key);
        Assert.NotNull(got);
        var read = new MemoryStream();
        await got.Stream.CopyToAsync(read);
        Assert.Equal(bytes, read.ToArray());
        Assert.Equal(put.Md5, got.Info.Md5);
        Assert.Equal("application/vnd.openxmlformats-officedocument.wordprocessingml.document", got.Info.ContentType);
    }

    [Fact]
    public async Task A_non_seekable_upload_is_stored_whole()
    {
        var bytes = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 17);
        var key = Key("stream.bin");

        var put = await Store.PutAsync(key, new ForwardOnlyStream(bytes), "application/octet-stream");

        var head = await Store.HeadAsync(key);
        Assert.NotNull(head);
        Assert.Equal(bytes.Length, head.Size);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), head.Md5);
        Assert.Equal(put.Md5, head.Md5);
    }

    [Fact]
    public async Task Overwriting_a_key_replaces_its_content()
    {
        var key = Key("v.txt");
        await Store.PutAsync(key, new MemoryStream("first"u8.ToArray()), "text/plain");
        await Store.PutAsync(key, new MemoryStream("second version"u8.ToArray()), "text/plain");

        var head = await Store.HeadAsync(key);
        Assert.Equal("second version".Length, head!.Size);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData("second version"u8.ToArray())), head.Md5);
    }

    [Fact]
    public async Task Missing_objects_are_null_and_delete_reports_what_it_removed()
    {
        var key = Key("gone.txt");
        Assert.Null(await Store.HeadAsync(key));
        Assert.Null(await Store.GetAsync(key));
        Assert.False(await Store.DeleteAsync(key));

        await Store.PutAsync(key, new MemoryStream("x"u8.ToArray()), "text/plain");
        Assert.True(await Store.DeleteAsync(key));
        Assert.Null(await Store.HeadAsync(key));
        Assert.False(await Store.DeleteAsync(key));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("spaces are not allowed")]
    [InlineData("")]
    public async Task Keys_that_could_escape_the_store_are_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), "text/plain"));
    }

    [Fact]
    public async Task A_presigned_link_downloads_the_object_without_credentials()
    {
        var bytes = RandomNumberGenerator.GetBytes(50_000);
        var key = Key("shared.pdf");
        await Store.PutAsync(key, new MemoryStream(bytes), "application/pdf");

        var link = Store.Presign(key, TimeSpan.FromMinutes(5));
        using var client = link.IsAbsoluteUri ? new HttpClient() : app.CreateClient();
        var response = await client.GetAsync(link);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Readiness_probe_answers()
    {
        await Store.ProbeAsync();
    }

    /// <summary>A request body as it arrives from a socket: no length, no seeking.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7919));

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

public sealed class LocalBlobStoreTests : BlobStoreSuite
{
    protected override string ExpectedKind => "local";

    protected override Dictionary<string, string?> Settings() => [];

    [Fact]
    public async Task A_tampered_or_expired_local_link_is_refused()
    {
        var key = Key("secret.txt");
        await Store.PutAsync(key, new MemoryStream("secret"u8.ToArray()), "text/plain");
        var good = Store.Presign(key, TimeSpan.FromMinutes(5)).ToString();
        var expired = Store.Presign(key, TimeSpan.FromSeconds(-5)).ToString();

        var tampered = good.Replace("secret.txt", "secret.txX", StringComparison.Ordinal);
        using var own = App.CreateClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await own.GetAsync(tampered)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await own.GetAsync(expired)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await own.GetAsync(good[..^4] + "0000")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await own.GetAsync(good)).StatusCode);
    }
}

public sealed class S3BlobStoreTests : BlobStoreSuite
{
    protected override string ExpectedKind => "s3";

    protected override Dictionary<string, string?> Settings() => TestServers.S3Settings();
}
