using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Client.Cli;

/// <summary>A usage error: the command line itself is wrong (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The command line: global options (or their RS_* environment variables), the verb and its arguments.</summary>
internal sealed class CliArgs
{
    private static readonly string[] ValueOptions = ["--server", "--token", "--data", "--tenant", "--id", "--count"];

    public required string Verb { get; init; }

    public required List<string> Positional { get; init; }

    public required Dictionary<string, string> Options { get; init; }

    public static CliArgs Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg.Split('=', 2)[0];
                if (!ValueOptions.Contains(name))
                {
                    throw new UsageException($"unknown option {name}");
                }

                if (arg.Contains('=', StringComparison.Ordinal))
                {
                    options[name] = arg.Split('=', 2)[1];
                }
                else if (i + 1 < args.Length)
                {
                    options[name] = args[++i];
                }
                else
                {
                    throw new UsageException($"{name} needs a value");
                }
            }
            else
            {
                positional.Add(arg);
            }
        }

        if (positional.Count == 0)
        {
            throw new UsageException("no command given");
        }

        return new CliArgs { Verb = positional[0], Positional = positional.Skip(1).ToList(), Options = options };
    }

    public string? Option(string name, string? environment = null) =>
        Options.TryGetValue(name, out var value) ? value : environment is null ? null : Environment.GetEnvironmentVariable(environment) is { Length: > 0 } env ? env : null;

    public string Require(string name, string environment) =>
        Option(name, environment) ?? throw new UsageException($"{name} (or {environment}) is required");

    /// <summary>The positional arguments after the verb, exactly <paramref name="count"/> of them (then field=value pairs when allowed).</summary>
    public string[] Args(int count, string usage, bool fields = false)
    {
        if (Positional.Count < count || (!fields && Positional.Count > count))
        {
            throw new UsageException($"usage: rs {usage}");
        }

        return Positional.Take(count).ToArray();
    }

    /// <summary><c>field=value</c> pairs after the first <paramref name="skip"/> arguments; a value that is JSON (42, true, null, "x", {…}) is taken as such, anything else as text.</summary>
    public JsonObject Fields(int skip)
    {
        var fields = new JsonObject();
        foreach (var pair in Positional.Skip(skip))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at < 1)
            {
                throw new UsageException($"'{pair}' is not field=value");
            }

            var text = pair[(at + 1)..];
            JsonNode? value;
            try
            {
                value = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                value = JsonValue.Create(text);
            }

            fields[pair[..at]] = value;
        }

        return fields;
    }
}
