using System.Text.Json.Nodes;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Shared.Tests.Entities;

/// <summary>Builders and comparisons shared by the merge tests.</summary>
internal static class EntityJson
{
    /// <summary>The clock of every create in these tests.</summary>
    public static readonly DateTimeOffset Now = new(2025, 3, 4, 5, 6, 7, 89, TimeSpan.FromHours(2));

    /// <summary>The members of a JSON object the way a request body binds them: JsonElement-backed values, C# null for JSON null.</summary>
    public static Dictionary<string, JsonNode?> Fields(string json) =>
        JsonNode.Parse(json)!.AsObject().ToDictionary(p => p.Key, p => p.Value is null ? null : JsonNode.Parse(p.Value.ToJsonString()));

    public static EntityPatch Patch(string json, long? baseVersion) => new(Fields(json), baseVersion);

    public static EntityTypeSchema Type(string name) => DefaultEntityTypes.All.Single(t => t.Name == name);

    public static string RequiredField(EntityTypeSchema schema) => schema.Fields.Single(f => f.Required).Name;

    /// <summary>An entity created from <paramref name="json"/>; fails the test when the create is refused.</summary>
    public static EntitySnapshot Created(EntityTypeSchema schema, string json)
    {
        var result = SmartMerge.Create(schema, Patch(json, null), Now);
        Assert.True(result.Status == MergeStatus.Applied, $"create refused: {string.Join("; ", result.Errors)}");
        return result.State;
    }

    /// <summary>JSON equality, where a missing value and a JSON null are the same.</summary>
    public static bool Same(JsonNode? a, JsonNode? b) => a is null || b is null ? a is null && b is null : JsonNode.DeepEquals(a, b);

    public static void AssertValue(string expectedJson, JsonNode? actual) =>
        Assert.True(Same(JsonNode.Parse(expectedJson), actual), $"expected {expectedJson}, got {actual?.ToJsonString() ?? "(absent)"}");

    public static void AssertSameState(EntitySnapshot expected, EntitySnapshot actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.FieldVersions.OrderBy(f => f.Key, StringComparer.Ordinal), actual.FieldVersions.OrderBy(f => f.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Fields.Keys.Order(StringComparer.Ordinal), actual.Fields.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, value) in expected.Fields)
        {
            Assert.True(Same(value, actual.Fields[name]), $"{name}: expected {value?.ToJsonString()}, got {actual.Fields[name]?.ToJsonString()}");
        }
    }
}
