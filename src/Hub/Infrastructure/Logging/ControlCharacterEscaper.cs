using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace RealtimeSync.Hub.Infrastructure.Logging;

/// <summary>
/// Log forging: a user name such as "x\n[01:00:00 INF] ..." would print a fake line in the text log. Every string
/// property with a control character is rewritten with the character escaped (\n, \r, \t, \u001b...), for every
/// event of the host, so no log call site has to remember it.
/// </summary>
internal sealed class ControlCharacterEscaper : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        List<LogEventProperty>? escaped = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            if (value is ScalarValue { Value: string text } && text.Any(char.IsControl))
            {
                (escaped ??= []).Add(new LogEventProperty(name, new ScalarValue(Escape(text))));
            }
        }

        foreach (var property in escaped ?? [])
        {
            logEvent.AddOrUpdateProperty(property);
        }
    }

    public static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }
}
