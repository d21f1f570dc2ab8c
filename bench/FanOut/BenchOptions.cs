using System.Globalization;

namespace RealtimeSync.FanOut;

/// <summary>Command line of the benchmark; every option has the default.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        usage: FanOut --redis 127.0.0.1:PORT [--redis-pid PID] [--subscribers 2000] [--seconds 4]
                      [--targets 1000,2000,5000,...] [--max-p99 250] [--pad 200]
                      [--systems upper,product,product-msgpack,socketio] [--hub-dll <RealtimeSync.Hub.dll>]
                      [--socketio <bench/socketio folder>] [--pid-file <file>] [--out <results folder>]
                      [--setting Key=Value ...]
          --targets are delivered messages per second (publish rate × subscribers), stepped up until the
          p99 latency passes --max-p99 ms or a message goes missing. --redis defaults to RS_TEST_REDIS.
          --setting (repeatable) is a host setting given to every product node, e.g. to compare a tuning.
        """;

    /// <summary>WebSocket subscribers of the one channel, split evenly across the system's servers.</summary>
    public int Subscribers { get; init; } = 2000;

    /// <summary>Publishing time of one rate step.</summary>
    public int Seconds { get; init; } = 4;

    /// <summary>Delivered messages per second the steps aim at.</summary>
    public IReadOnlyList<int> Targets { get; init; } =
        [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 120_000, 150_000, 200_000, 250_000, 300_000, 400_000, 500_000, 600_000];

    /// <summary>Stepping stops at the first step whose p99 publish-to-receive latency is above this.</summary>
    public double MaxP99Ms { get; init; } = 250;

    /// <summary>Length of the filler string in every payload (the same for every system).</summary>
    public int Pad { get; init; } = 200;

    /// <summary>product-msgpack: the product's two nodes again, its subscribers on the MessagePack hub protocol.</summary>
    public IReadOnlyList<string> Systems { get; init; } = ["upper", "product", "product-msgpack", "socketio"];

    public string? Redis { get; init; } = Environment.GetEnvironmentVariable("RS_TEST_REDIS");

    public int? RedisPid { get; init; }

    public string? HubDll { get; init; }

    public string? SocketIoFolder { get; init; }

    /// <summary>Every child process id is appended here, so the calling script can stop them if this process dies.</summary>
    public string? PidFile { get; init; }

    public string? OutputFolder { get; init; }

    /// <summary>Extra host settings for every product node (configuration keys, as in appsettings.json).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

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

            if (i + 1 >= args.Count)
            {
                return (null, $"{name} needs a value");
            }

            var value = args[++i];
            switch (name)
            {
                case "--subscribers" when Positive(value) is { } v && v % 2 == 0:
                    options = options with { Subscribers = v };
                    break;
                case "--seconds" when Positive(value) is { } v:
                    options = options with { Seconds = v };
                    break;
                case "--targets" when value.Split(',').Select(Positive).ToList() is var list && list.All(t => t is not null):
                    options = options with { Targets = list.Select(t => t!.Value).Order().ToList() };
                    break;
                case "--max-p99" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0:
                    options = options with { MaxP99Ms = v };
                    break;
                case "--pad" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v):
                    options = options with { Pad = v };
                    break;
                case "--systems" when value.Split(',') is var systems && systems.All(s => s is "upper" or "product" or "product-msgpack" or "socketio"):
                    options = options with { Systems = systems };
                    break;
                case "--redis":
                    options = options with { Redis = value };
                    break;
                case "--redis-pid" when Positive(value) is { } v:
                    options = options with { RedisPid = v };
                    break;
                case "--hub-dll":
                    options = options with { HubDll = value };
                    break;
                case "--socketio":
                    options = options with { SocketIoFolder = value };
                    break;
                case "--pid-file":
                    options = options with { PidFile = value };
                    break;
                case "--setting" when value.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq:
                    options = options with { Settings = new Dictionary<string, string>(options.Settings) { [value[..eq]] = value[(eq + 1)..] } };
                    break;
                case "--out":
                    options = options with { OutputFolder = value };
                    break;
                default:
                    return (null, $"unknown option or bad value: {name} {value}");
            }
        }

        if (options.Redis is not { Length: > 0 } && options.Systems.Any(s => s is "product" or "product-msgpack" or "socketio"))
        {
            return (null, "--redis (or RS_TEST_REDIS) is needed for the product and socketio systems");
        }

        return (options, null);
    }

    private static int? Positive(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;
}
