using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RealtimeSync.Hub.Tests.Metrics;

/// <summary>
/// A small strict parser of the Prometheus text format (0.0.4): every sample belongs to a family declared by
/// <c># TYPE</c> before it, families are contiguous and declared once, names and labels are well-formed and
/// escaped (a sample may carry the format's optional integer timestamp), counters end in <c>_total</c>, histogram buckets are cumulative and end with <c>+Inf</c> = <c>_count</c>.
/// Throws <see cref="FormatException"/> on any violation.
/// </summary>
internal sealed partial class PrometheusText
{
    private readonly Dictionary<string, double> samples = new(StringComparer.Ordinal);

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, double> Samples => samples;

    /// <summary>The sample's value; labels in any order (<c>kind=entities</c>); 0 when absent.</summary>
    public double Value(string name, params string[] labels)
    {
        var key = Key(name, labels.Select(l => l.Split('=', 2)).Select(p => (p[0], p[1])));
        return samples.GetValueOrDefault(key);
    }

    public bool Has(string name, params string[] labels) =>
        samples.ContainsKey(Key(name, labels.Select(l => l.Split('=', 2)).Select(p => (p[0], p[1]))));

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        string? family = null;
        var closed = new HashSet<string>(StringComparer.Ordinal);
        var buckets = new Dictionary<string, List<(double Le, double Count)>>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..].Split(' ', 2)[0];
                Require(MetricName().IsMatch(name), lineNumber, $"bad metric name in HELP: {name}");
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Require(parts.Length == 2 && MetricName().IsMatch(parts[0]), lineNumber, "malformed TYPE line");
                Require(parts[1] is "counter" or "gauge" or "histogram" or "summary" or "untyped", lineNumber, $"unknown type {parts[1]}");
                Require(!parsed.Types.ContainsKey(parts[0]), lineNumber, $"{parts[0]} declared twice");
                Require(parts[1] != "counter" || parts[0].EndsWith("_total", StringComparison.Ordinal), lineNumber, $"counter {parts[0]} must end in _total");
                if (family is not null)
                {
                    closed.Add(family);
                }

                family = parts[0];
                parsed.Types[family] = parts[1];
                continue;
            }

            Require(!line.StartsWith('#'), lineNumber, "unknown comment line");
            var match = Sample().Match(line);
            Require(match.Success, lineNumber, $"malformed sample: {line}");
            var sampleName = match.Groups["name"].Value;
            var owner = parsed.Types.ContainsKey(sampleName) ? sampleName
                : new[] { "_bucket", "_sum", "_count" }.Where(s => sampleName.EndsWith(s, StringComparison.Ordinal)).Select(s => sampleName[..^s.Length]).FirstOrDefault(parsed.Types.ContainsKey);
            Require(owner is not null, lineNumber, $"sample {sampleName} has no TYPE");
            Require(owner == family && !closed.Contains(owner!), lineNumber, $"sample of {owner} outside its family block");
            Require(parsed.Types[owner!] == "histogram" || owner == sampleName, lineNumber, $"{sampleName} suffix on a {parsed.Types[owner!]}");

            var labels = Labels(match.Groups["labels"].Value, lineNumber);
            var value = Number(match.Groups["value"].Value, lineNumber);
            var key = Key(sampleName, labels.Where(l => l.Name != "le"));
            if (sampleName.EndsWith("_bucket", StringComparison.Ordinal) && parsed.Types[owner!] == "histogram")
            {
                var le = labels.SingleOrDefault(l => l.Name == "le");
                Require(le.Name is not null, lineNumber, "bucket without le");
                var list = buckets.TryGetValue(key, out var existing) ? existing : buckets[key] = [];
                var bound = Number(le.Value, lineNumber);
                Require(list.Count == 0 || (bound > list[^1].Le && value >= list[^1].Count), lineNumber, "buckets not increasing / cumulative");
                list.Add((bound, value));
                parsed.samples[Key(sampleName, labels)] = value;
                continue;
            }

            Require(parsed.samples.TryAdd(key, value), lineNumber, $"duplicate sample {key}");
        }

        foreach (var (key, list) in buckets)
        {
            Require(double.IsPositiveInfinity(list[^1].Le), 0, $"{key} lacks the +Inf bucket");
            var count = key.Replace("_bucket", "_count", StringComparison.Ordinal);
            Require(parsed.samples.TryGetValue(count, out var total) && total == list[^1].Count, 0, $"{count} differs from the +Inf bucket");
        }

        return parsed;
    }

    private static List<(string Name, string Value)> Labels(string text, int line)
    {
        var labels = new List<(string, string)>();
        if (text.Length == 0)
        {
            return labels;
        }

        var i = 0;
        while (i < text.Length)
        {
            var eq = text.IndexOf('=', i);
            Require(eq > i, line, "label without name");
            var name = text[i..eq];
            Require(LabelName().IsMatch(name), line, $"bad label name {name}");
            Require(eq + 1 < text.Length && text[eq + 1] == '"', line, "label value not quoted");
            var value = new StringBuilder();
            var j = eq + 2;
            for (; j < text.Length && text[j] != '"'; j++)
            {
                if (text[j] == '\\')
                {
                    Require(j + 1 < text.Length, line, "dangling escape");
                    value.Append(text[++j] switch
                    {
                        '\\' => '\\',
                        '"' => '"',
                        'n' => '\n',
                        var c => throw new FormatException($"line {line}: bad escape \\{c}"),
                    });
                }
                else
                {
                    Require(text[j] != '\n', line, "raw newline in label");
                    value.Append(text[j]);
                }
            }

            Require(j < text.Length, line, "unterminated label value");
            Require(labels.All(l => l.Item1 != name), line, $"label {name} twice");
            labels.Add((name, value.ToString()));
            i = j + 1;
            if (i < text.Length)
            {
                Require(text[i] == ',', line, "labels not separated by ','");
                i++;
            }
        }

        return labels;
    }

    private static double Number(string text, int line) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"line {line}: bad value {text}"),
    };

    private static string Key(string name, IEnumerable<(string Name, string Value)> labels) =>
        name + "{" + string.Join(",", labels.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => $"{l.Name}={l.Value}")) + "}";

    private static void Require(bool condition, int line, string message)
    {
        if (!condition)
        {
            throw new FormatException($"line {line}: {message}");
        }
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( -?[0-9]+)?$""")]
    private static partial Regex Sample();
}
