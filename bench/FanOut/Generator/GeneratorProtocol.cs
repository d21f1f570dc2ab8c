namespace RealtimeSync.FanOut.Generator;

/// <summary>One line of JSON on the generator's standard input.</summary>
/// <param name="Cmd">connect | stats | health | load | disconnect | exit.</param>
/// <param name="Group">The subscribers a connect adds to, and a health or disconnect is about (one group per system).</param>
/// <param name="Protocol">signalr | signalr-msgpack | socketio (connect).</param>
/// <param name="Step">The step whose receipts to report (stats).</param>
/// <param name="Expected">Receipts to wait for before answering (stats), at most <paramref name="TimeoutMs"/>.</param>
internal sealed record GeneratorCommand(
    string Cmd,
    string Group = "",
    string? Protocol = null,
    string? Url = null,
    int Count = 0,
    string? Token = null,
    string? Channel = null,
    int Step = 0,
    long Expected = 0,
    int TimeoutMs = 0);

/// <summary>One line of JSON on the generator's standard output, answering one command.</summary>
internal sealed record GeneratorReply(
    bool Ok,
    string? Error = null,
    int Connected = 0,
    int Failed = 0,
    string? FirstFailure = null,
    double Seconds = 0,
    StepStats? Stats = null,
    long MaxThreadPoolQueue = 0);

/// <summary>Receipts of one step's publications, over every subscriber.</summary>
/// <param name="FirstAtUs">First receipt, <see cref="MonotonicClock"/> µs.</param>
/// <param name="LastAtUs">Last receipt, <see cref="MonotonicClock"/> µs.</param>
internal sealed record StepStats(long Receipts, long FirstAtUs, long LastAtUs, double P50Ms, double P90Ms, double P99Ms, double MaxMs, double MeanMs);

/// <summary>JSON for the generator's lines and the results file: web defaults, and NaN allowed (a step with no receipts has no p99).</summary>
internal static class BenchJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerOptions.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString
            | System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
