using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>kill -9 between the acknowledgement and the upload: the restarted host finishes the job.</summary>
public sealed class HostKillTests
{
    [Fact]
    public async Task A_host_killed_after_spooling_and_before_the_upload_completes_the_job_after_restart()
    {
        await using var s3 = await PrivateS3rver.StartAsync();
        await using var documentServer = await DocumentServerStandIn.StartAsync($"kill-test-secret-{Guid.NewGuid():N}");
        var dataPath = Directory.CreateTempSubdirectory("rs-kill-").FullName;
        var port = TestServers.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Node__Id"] = $"kill-test-{Guid.NewGuid().ToString("N")[..6]}", // the restarted process is the same node
            ["Storage__DataPath"] = dataPath,
            ["Auth__Jwt__SigningKey"] = $"kill-test-signing-key-{Guid.NewGuid():N}",
            ["Admin__InitialPassword"] = HubApp.AdminPassword,
            ["OnlyOffice__DocumentServerUrl"] = documentServer.Address.ToString(),
            ["OnlyOffice__JwtSecret"] = documentServer.Secret,
            ["Documents__MaxJobRetryDelaySeconds"] = "1",
            ["Documents__PollMilliseconds"] = "200",
            ["Documents__UploadRetryDelayMilliseconds"] = "50",
            ["Documents__BreakSeconds"] = "1",
            ["Serilog__MinimumLevel"] = "Warning",
        };
        foreach (var (key, value) in s3.Settings())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(environment["Auth__Jwt__SigningKey"], dataPath));
        var first = await HubProcess.StartAsync(environment, http);
        string id;
        byte[] edited;
        try
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(20_000)), "file", "plan.docx" } };
            using var uploaded = await http.PostAsync("/api/tenants/demo/documents", form);
            Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
            id = (await uploaded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
            var config = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/editor-config"))!;
            var callback = config["editorConfig"]!["callbackUrl"]!.GetValue<string>();
            var key = config["document"]!["key"]!.GetValue<string>();

            s3.Stop(); // the job cannot be uploaded: it stays between "spooled" and "stored"
            edited = RandomNumberGenerator.GetBytes(70_000);
            var answer = await documentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, documentServer.Serve(edited), "2026-11-21T19:00:00Z"), Signing.BodyToken);
            Assert.Equal((200, "{\"error\":0}"), answer);
            var pending = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/diagnostics"))!["pendingOrFailedJobs"]!.AsArray();
            Assert.Equal("pending", Assert.Single(pending)!["state"]!.GetValue<string>());
        }
        finally
        {
            first.Kill(); // SIGKILL: no graceful shutdown, no flush
        }

        await s3.StartAgainAsync();
        var second = await HubProcess.StartAsync(environment, http);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(40);
            JsonObject document;
            do
            {
                await Task.Delay(100);
                document = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}"))!;
            }
            while (document["version"]!.GetValue<int>() < 2 && DateTime.UtcNow < deadline);

            Assert.True(document["version"]!.GetValue<int>() == 2, $"not committed after the restart; hub output:\n{second.Output}");
            var diagnostics = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/diagnostics"))!;
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(edited)), diagnostics["committed"]!["sha256"]!.GetValue<string>());
            Assert.True(diagnostics["committed"]!["matchesDatabase"]!.GetValue<bool>());
            Assert.Empty(diagnostics["pendingOrFailedJobs"]!.AsArray());
            Assert.Empty(Directory.GetFiles(Path.Combine(dataPath, "spool"), "*.bin"));
        }
        finally
        {
            second.Kill();
            try
            {
                Directory.Delete(dataPath, recursive: true);
            }
            catch (IOException)
            {
                // the OS cleans /tmp
            }
        }
    }

    private static string Token(string signingKey, string dataPath)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Jwt:SigningKey"] = signingKey,
            ["Storage:DataPath"] = dataPath,
        }).Build();
        return new TokenIssuer(new SigningKeys(configuration, new DataDirectory(configuration)), TimeProvider.System).Issue("demo", "alice", ["editor"], TimeSpan.FromMinutes(30));
    }
}

/// <summary>The built hub (src/Hub/bin/.../RealtimeSync.Hub.dll) as a separate OS process.</summary>
public sealed class HubProcess
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private HubProcess(Process process)
    {
        this.process = process;
    }

    public static async Task<HubProcess> StartAsync(Dictionary<string, string> environment, HttpClient http)
    {
        var dll = Path.Combine(RepositoryRoot(), "src", "Hub", "bin", "Release", "net10.0", "RealtimeSync.Hub.dll");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        info.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var hub = new HubProcess(Process.Start(info)!);
        hub.process.OutputDataReceived += (_, e) => hub.Append(e.Data);
        hub.process.ErrorDataReceived += (_, e) => hub.Append(e.Data);
        hub.process.BeginOutputReadLine();
        hub.process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (hub.process.HasExited)
            {
                throw new InvalidOperationException($"The hub exited with {hub.process.ExitCode}:\n{hub.Output}");
            }

            try
            {
                using var live = await http.GetAsync("/health/live");
                if (live.IsSuccessStatusCode)
                {
                    return hub;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200);
        }

        hub.Kill();
        throw new TimeoutException($"The hub did not start within 60 s:\n{hub.Output}");
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RealtimeSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No RealtimeSync.sln above {AppContext.BaseDirectory}.");
    }
}
