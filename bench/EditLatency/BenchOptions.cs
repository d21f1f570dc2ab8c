using System.Globalization;

namespace RealtimeSync.EditLatency;

/// <summary>Command line of the benchmark; every option has the default.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        usage: EditLatency [--subscribers 500] [--rate 100] [--seconds 5] [--phases 2] [--warmup 10]
                           [--entities 20] [--backend sqlite|postgres|both] [--postgres "<Npgsql connection string>"]
                           [--out <results folder>] [--spans]
          --spans: also list where each measured edit spent its wall time (the product's and Npgsql's spans).
          PostgreSQL: --postgres uses that database as it is; without it a fresh database is created on the
          server in RS_TEST_POSTGRES (eval "$(bash eng/test-servers.sh start)") and dropped afterwards.
        """;

    /// <summary>Sockets subscribed to the channel, all on the one node.</summary>
    public int Subscribers { get; init; } = 500;

    /// <summary>Messages per second, in both modes.</summary>
    public int Rate { get; init; } = 100;

    /// <summary>Length of one measured phase of one mode.</summary>
    public int Seconds { get; init; } = 5;

    /// <summary>Number of (baseline, edits) phase pairs.</summary>
    public int Phases { get; init; } = 2;

    /// <summary>Unmeasured seconds of each mode before the first phase (JIT, pools, query caches).</summary>
    public int WarmUpSeconds { get; init; } = 10;

    /// <summary>Entities edited round-robin, each with its own version chain.</summary>
    public int Entities { get; init; } = 20;

    public IReadOnlyList<string> Backends { get; init; } = ["sqlite"];

    public string? Postgres { get; init; }

    public string? OutputFolder { get; init; }

    /// <summary>Record the product's and Npgsql's spans of the measured edits (<see cref="SpanProfile"/>).</summary>
    public bool Spans { get; init; }

    /// <summary>Null with an error message when the arguments are not understood.</summary>
    public static (BenchOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                return (null, "");
            }

            if (name == "--spans")
            {
                options = options with { Spans = true };
                continue;
            }

            if (i + 1 >= args.Count)
            {
                return (null, $"{name} needs a value");
            }

            var value = args[++i];
            switch (name)
            {
                case "--subscribers" when Positive(value) is { } v:
                    options = options with { Subscribers = v };
                    break;
                case "--rate" when Positive(value) is { } v:
                    options = options with { Rate = v };
                    break;
                case "--seconds" when Positive(value) is { } v:
                    options = options with { Seconds = v };
                    break;
                case "--phases" when Positive(value) is { } v:
                    options = options with { Phases = v };
                    break;
                case "--warmup" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v):
                    options = options with { WarmUpSeconds = v };
                    break;
                case "--entities" when Positive(value) is { } v:
                    options = options with { Entities = v };
                    break;
                case "--backend" when value is "sqlite" or "postgres":
                    options = options with { Backends = [value] };
                    break;
                case "--backend" when value is "both":
                    options = options with { Backends = ["sqlite", "postgres"] };
                    break;
                case "--postgres":
                    options = options with { Postgres = value };
                    break;
                case "--out":
                    options = options with { OutputFolder = value };
                    break;
                default:
                    return (null, $"{name} {value}: unknown option or invalid value");
            }
        }

        return (options, null);
    }

    private static int? Positive(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;
}
