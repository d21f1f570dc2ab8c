using System.Text.Json.Nodes;
using RealtimeSync.Shared.Entities;
using static RealtimeSync.Shared.Tests.Entities.EntityJson;

namespace RealtimeSync.Shared.Tests.Entities;

/// <summary>
/// Several editors load a team member at some version and later send patches of random fields from
/// that (possibly stale) version. After every step the merge's result is checked against a model that
/// remembers, per field, the last accepted value and the version that set it.
/// </summary>
public sealed class SmartMergeRandomizedTests
{
    private const int Seeds = 200;
    private const int Steps = 40;

    private static readonly string[] Editable = ["name", "role", "email", "bio", "photoUrl", "order", "active", "skills"];
    private static readonly string[] Preserved = ["createdAt", "joinDate", "employeeId"];

    /// <summary>Small pools, so that editors often collide on a field and sometimes on a value.</summary>
    private static readonly Dictionary<string, string[]> Pool = new()
    {
        ["name"] = ["\"Ada\"", "\"Grace\"", "\"Linus\""],
        ["role"] = ["\"Engineer\"", "\"CTO\"", "\"Designer\""],
        ["email"] = ["\"a@example.com\"", "\"b@example.com\""],
        ["bio"] = ["\"Hello\"", "\"Bonjour\""],
        ["photoUrl"] = ["\"https://img.example.com/1.png\"", "\"https://img.example.com/2.png\""],
        ["order"] = ["0", "1", "2", "2.0"],
        ["active"] = ["true", "false"],
        ["skills"] = ["[]", "[\"c#\"]", "[\"c#\", \"sql\"]"],
        ["createdAt"] = ["\"2020-01-01T00:00:00.000Z\"", "\"2031-01-01T00:00:00.000Z\""],
        ["joinDate"] = ["\"2019-05-01\"", "\"2024-01-01\""],
        ["employeeId"] = ["\"E-1\"", "\"E-2\""],
    };

    [Theory]
    [InlineData(ConflictPolicy.Reject)]
    [InlineData(ConflictPolicy.LastWriterWins)]
    public void Concurrent_editors_never_lose_an_accepted_value_without_a_conflict(ConflictPolicy policy)
    {
        var schema = DefaultEntityTypes.Team with { ConflictPolicy = policy };
        var tally = new Tally();

        for (var seed = 0; seed < Seeds; seed++)
        {
            Simulate(schema, seed, tally);
        }

        // A run that never reaches an outcome proves nothing about it.
        Assert.True(tally.Statuses.GetValueOrDefault(MergeStatus.Applied) > 1000, tally.ToString());
        Assert.True(tally.Statuses.GetValueOrDefault(MergeStatus.NoChange) > 100, tally.ToString());
        Assert.True(tally.Statuses.GetValueOrDefault(MergeStatus.Invalid) > 50, tally.ToString());
        Assert.True(tally.PreservedSent > 500, tally.ToString());
        if (policy == ConflictPolicy.Reject)
        {
            Assert.True(tally.Statuses.GetValueOrDefault(MergeStatus.Conflict) > 100, tally.ToString());
        }
        else
        {
            Assert.Equal(0, tally.Statuses.GetValueOrDefault(MergeStatus.Conflict));
            Assert.True(tally.OverwritesReported > 100, tally.ToString());
        }
    }

    private static void Simulate(EntityTypeSchema schema, int seed, Tally tally)
    {
        var random = new Random(seed);
        var initial = new Dictionary<string, JsonNode?> { ["name"] = Value(random, "name"), ["employeeId"] = Value(random, "employeeId") };
        foreach (var field in Editable.Concat(Preserved).Where(_ => random.Next(3) == 0))
        {
            initial[field] = Value(random, field);
        }

        var state = SmartMerge.Create(schema, new EntityPatch(initial, null), Now).State;
        Assert.Equal(1, state.Version);
        var preservedAtCreate = Preserved.ToDictionary(f => f, f => state.Fields.GetValueOrDefault(f));

        // The model: for each field, the last accepted value and the version of the write that set it (0: never set).
        var accepted = Editable.ToDictionary(f => f, f => (Value: state.Fields.GetValueOrDefault(f), Version: state.Fields.ContainsKey(f) ? 1L : 0L));
        var loaded = Enumerable.Repeat(state, random.Next(2, 6)).ToList();

        for (var step = 0; step < Steps; step++)
        {
            var editor = random.Next(loaded.Count);
            if (random.Next(4) == 0)
            {
                loaded[editor] = state;
                continue;
            }

            var (patch, invalidField) = RandomPatch(random, loaded[editor], state);
            var before = state;
            var result = SmartMerge.Update(schema, before, patch);
            var context = $"seed {seed}, step {step}, policy {schema.ConflictPolicy}, base {patch.BaseVersion}, patch {Describe(patch.Fields)}: {result.Status}";
            try
            {
                Check(schema, before, patch, result, invalidField, preservedAtCreate, accepted);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"{context}\n{e.Message}", e);
            }

            tally.Statuses[result.Status] = tally.Statuses.GetValueOrDefault(result.Status) + 1;
            tally.PreservedSent += patch.Fields.Keys.Count(schema.IsPreserved);
            tally.OverwritesReported += result.Status == MergeStatus.Applied ? result.Conflicts.Count : 0;

            state = result.State;
            if (result.Status == MergeStatus.Applied && random.Next(2) == 0 || result.Status == MergeStatus.Conflict && random.Next(2) == 0)
            {
                loaded[editor] = state;
            }
        }
    }

    private static void Check(
        EntityTypeSchema schema,
        EntitySnapshot before,
        EntityPatch patch,
        MergeResult result,
        string? invalidField,
        Dictionary<string, JsonNode?> preservedAtCreate,
        Dictionary<string, (JsonNode? Value, long Version)> accepted)
    {
        var after = result.State;

        if (invalidField is not null)
        {
            Assert.Equal(MergeStatus.Invalid, result.Status);
            Assert.Contains(invalidField, result.Errors.Select(e => e.Field));
        }
        else
        {
            Assert.NotEqual(MergeStatus.Invalid, result.Status);
            Assert.Empty(result.Errors);
        }

        // The version moves by exactly one exactly when a write is applied; anything else leaves the state as it was.
        if (result.Status == MergeStatus.Applied)
        {
            Assert.Equal(before.Version + 1, after.Version);
        }
        else
        {
            AssertSameState(before, after);
            Assert.Empty(result.Changed);
        }

        Assert.All(after.FieldVersions, f => Assert.InRange(f.Value, 1, after.Version));
        foreach (var (field, value) in preservedAtCreate)
        {
            Assert.True(Same(value, after.Fields.GetValueOrDefault(field)), $"preserved {field} changed to {after.Fields.GetValueOrDefault(field)?.ToJsonString()}");
            Assert.Equal(value is null ? 0 : 1, after.FieldVersions.GetValueOrDefault(field));
        }

        if (invalidField is not null)
        {
            return;
        }

        var sent = patch.Fields.Where(f => !schema.IsPreserved(f.Key)).ToDictionary();
        var differs = sent.Keys.Where(f => !Same(sent[f], before.Fields.GetValueOrDefault(f))).Order(StringComparer.Ordinal).ToList();
        var overwrites = differs.Where(f => accepted[f].Version > patch.BaseVersion).ToList();
        Assert.Equal(patch.Fields.Keys.Where(schema.IsPreserved).Order(StringComparer.Ordinal), result.Preserved);

        switch (result.Status)
        {
            case MergeStatus.NoChange:
                Assert.Empty(differs); // nothing the editor asked for was dropped silently
                break;
            case MergeStatus.Conflict:
                Assert.Equal(ConflictPolicy.Reject, schema.ConflictPolicy);
                Assert.NotEmpty(overwrites);
                Assert.Equal(overwrites, result.Conflicts.Select(c => c.Field).Order(StringComparer.Ordinal));
                break;
            case MergeStatus.Applied:
                Assert.NotEmpty(differs);
                Assert.Equal(differs, result.Changed.Order(StringComparer.Ordinal));
                if (schema.ConflictPolicy == ConflictPolicy.Reject)
                {
                    Assert.Empty(overwrites); // under reject, overwriting a newer value must have been refused
                }

                // Every value newer than the editor's base that this write replaced is reported.
                Assert.Equal(overwrites, result.Conflicts.Select(c => c.Field).Order(StringComparer.Ordinal));
                foreach (var conflict in result.Conflicts)
                {
                    Assert.True(Same(before.Fields.GetValueOrDefault(conflict.Field), conflict.ServerValue), $"server value of {conflict.Field}");
                    Assert.True(Same(sent[conflict.Field], conflict.ClientValue), $"client value of {conflict.Field}");
                }

                foreach (var field in differs)
                {
                    accepted[field] = (sent[field], after.Version);
                }

                break;
        }

        // Every accepted value survives until an applied write replaces it (checked above to be reported when needed).
        foreach (var (field, (value, version)) in accepted)
        {
            Assert.True(Same(value, after.Fields.GetValueOrDefault(field)), $"{field}: accepted {value?.ToJsonString()} at v{version}, now {after.Fields.GetValueOrDefault(field)?.ToJsonString()}");
            Assert.Equal(version, after.FieldVersions.GetValueOrDefault(field));
        }
    }

    /// <summary>A patch from an editor who loaded <paramref name="loaded"/>; one in twenty is invalid on purpose (the field it is invalid for is returned).</summary>
    private static (EntityPatch Patch, string? InvalidField) RandomPatch(Random random, EntitySnapshot loaded, EntitySnapshot current)
    {
        var fields = new Dictionary<string, JsonNode?>();
        var count = random.Next(1, 4);
        while (fields.Count < count)
        {
            var field = random.Next(5) == 0 ? Preserved[random.Next(Preserved.Length)] : Editable[random.Next(Editable.Length)];
            var required = field == "name";
            fields[field] = random.Next(10) switch
            {
                0 or 1 => current.Fields.GetValueOrDefault(field)?.DeepClone(), // what the server already has
                2 when loaded.Fields.GetValueOrDefault(field) is { } stale => stale.DeepClone(), // what the editor saw
                3 when !required => null,
                _ => Value(random, field),
            };
        }

        long? baseVersion = loaded.Version;
        string? invalid = null;
        switch (random.Next(20))
        {
            case 0:
                baseVersion = random.Next(3) switch { 0 => null, 1 => 0, _ => current.Version + 1 };
                invalid = "baseVersion";
                break;
            case 1:
                fields["order"] = JsonNode.Parse("1.5");
                invalid = "order";
                break;
            case 2:
                fields["name"] = null;
                invalid = "name";
                break;
            case 3:
                fields["nickname"] = JsonValue.Create("Countess");
                invalid = "nickname";
                break;
        }

        return (new EntityPatch(fields, baseVersion), invalid);
    }

    /// <summary>A valid value for <paramref name="field"/>, parsed like a request or built in code.</summary>
    private static JsonNode Value(Random random, string field)
    {
        var json = Pool[field][random.Next(Pool[field].Length)];
        var parsed = JsonNode.Parse(json)!;
        if (random.Next(2) == 0)
        {
            return parsed;
        }

        return parsed.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => JsonValue.Create(parsed.GetValue<string>()),
            System.Text.Json.JsonValueKind.Number => JsonValue.Create(parsed.GetValue<decimal>()),
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => JsonValue.Create(parsed.GetValue<bool>()),
            _ => parsed,
        };
    }

    private static string Describe(IReadOnlyDictionary<string, JsonNode?> fields) =>
        "{" + string.Join(", ", fields.Select(f => $"{f.Key}: {f.Value?.ToJsonString() ?? "null"}")) + "}";

    private sealed class Tally
    {
        public Dictionary<MergeStatus, int> Statuses { get; } = [];

        public int PreservedSent { get; set; }

        public int OverwritesReported { get; set; }

        public override string ToString() =>
            $"{string.Join(", ", Statuses.Select(s => $"{s.Key}={s.Value}"))}, preserved sent={PreservedSent}, overwrites reported={OverwritesReported}";
    }
}
