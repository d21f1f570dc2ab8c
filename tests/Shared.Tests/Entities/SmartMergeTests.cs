using System.Text.Json.Nodes;
using RealtimeSync.Shared.Entities;
using static RealtimeSync.Shared.Tests.Entities.EntityJson;

namespace RealtimeSync.Shared.Tests.Entities;

public sealed class SmartMergeTests
{
    private static readonly EntityTypeSchema Team = DefaultEntityTypes.Team;
    private static readonly EntityTypeSchema TeamLastWriterWins = Team with { ConflictPolicy = ConflictPolicy.LastWriterWins };

    private const string Ada = """{"name": "Ada", "role": "Engineer", "email": "ada@example.com", "bio": "Writes notes", "employeeId": "E-1"}""";

    // ---- 1. Preserved fields -------------------------------------------------------------------

    /// <summary>type, preserved field, value at create, value a later update tries to write.</summary>
    public static TheoryData<string, string, string, string> PreservedFieldsOfDefaultTypes => new()
    {
        { "settings", "createdAt", "\"2020-01-01T00:00:00.000Z\"", "\"2030-06-01T00:00:00.000Z\"" },
        { "settings", "updatedBy", "\"alice\"", "\"mallory\"" },
        { "team", "createdAt", "\"2020-01-01T00:00:00.000Z\"", "\"2030-06-01T00:00:00.000Z\"" },
        { "team", "joinDate", "\"2019-05-01\"", "\"2024-01-01\"" },
        { "team", "employeeId", "\"E-1001\"", "\"E-9999\"" },
        { "services", "createdAt", "\"2020-01-01T00:00:00.000Z\"", "\"2030-06-01T00:00:00.000Z\"" },
        { "services", "views", "10", "999999" },
        { "services", "rating", "4.5", "1" },
        { "solutions", "createdAt", "\"2020-01-01T00:00:00.000Z\"", "\"2030-06-01T00:00:00.000Z\"" },
        { "solutions", "views", "10", "999999" },
        { "solutions", "category", "\"retail\"", "\"hacked\"" },
    };

    [Fact]
    public void Default_types_preserve_the_fields_listed_in_the_design()
    {
        Assert.Equal(["createdAt", "updatedBy"], DefaultEntityTypes.Settings.PreservedFields);
        Assert.Equal(["createdAt", "joinDate", "employeeId"], DefaultEntityTypes.Team.PreservedFields);
        Assert.Equal(["createdAt", "views", "rating"], DefaultEntityTypes.Services.PreservedFields);
        Assert.Equal(["createdAt", "views", "category"], DefaultEntityTypes.Solutions.PreservedFields);
    }

    [Theory]
    [MemberData(nameof(PreservedFieldsOfDefaultTypes))]
    public void Preserved_fields_are_never_taken_from_the_client_on_update(string type, string field, string initial, string attempted)
    {
        var schema = Type(type);
        var required = RequiredField(schema);
        var state = Created(schema, $$"""{"{{required}}": "Original", "{{field}}": {{initial}}}""");

        foreach (var value in new[] { attempted, "null" })
        {
            var result = SmartMerge.Update(schema, state, Patch($$"""{"{{required}}": "Renamed", "{{field}}": {{value}}}""", 1));

            Assert.Equal(MergeStatus.Applied, result.Status);
            AssertValue(initial, result.State.Fields[field]);
            AssertValue("\"Renamed\"", result.State.Fields[required]);
            Assert.Equal(1, result.State.FieldVersions[field]);
            Assert.Equal([field], result.Preserved);
            Assert.Equal([required], result.Changed);
            Assert.Empty(result.Conflicts);
        }
    }

    [Theory]
    [MemberData(nameof(PreservedFieldsOfDefaultTypes))]
    public void Preserved_fields_are_accepted_as_initial_values_on_create(string type, string field, string initial, string attempted)
    {
        var schema = Type(type);
        foreach (var value in new[] { initial, attempted })
        {
            var result = SmartMerge.Create(schema, Patch($$"""{"{{RequiredField(schema)}}": "Imported", "{{field}}": {{value}}}""", null), Now);

            Assert.Equal(MergeStatus.Applied, result.Status);
            AssertValue(value, result.State.Fields[field]);
            Assert.Equal(1, result.State.FieldVersions[field]);
            Assert.Contains(field, result.Changed);
        }
    }

    [Theory]
    [InlineData("settings")]
    [InlineData("team")]
    [InlineData("services")]
    [InlineData("solutions")]
    public void Create_sets_createdAt_to_now_when_the_client_sends_none(string type)
    {
        var schema = Type(type);

        var result = SmartMerge.Create(schema, Patch($$"""{"{{RequiredField(schema)}}": "New"}""", null), Now);

        Assert.Equal(MergeStatus.Applied, result.Status);
        AssertValue("\"2025-03-04T03:06:07.089Z\"", result.State.Fields["createdAt"]);
        Assert.Equal(1, result.State.FieldVersions["createdAt"]);
        Assert.Equal(["createdAt", RequiredField(schema)], result.Changed);
    }

    [Fact]
    public void Create_adds_no_createdAt_to_a_type_without_one()
    {
        var notes = new EntityTypeSchema("notes", [new("text", FieldType.String)], []);

        var result = SmartMerge.Create(notes, Patch("""{"text": "hi"}""", null), Now);

        Assert.Equal(["text"], result.State.Fields.Keys);
    }

    [Fact]
    public void An_update_of_only_preserved_fields_changes_nothing()
    {
        var state = Created(Team, Ada);

        var result = SmartMerge.Update(Team, state, Patch("""{"employeeId": "E-2", "joinDate": "2024-01-01"}""", 1));

        Assert.Equal(MergeStatus.NoChange, result.Status);
        Assert.Same(state, result.State);
        Assert.Equal(["employeeId", "joinDate"], result.Preserved);
        Assert.Empty(result.Changed);
    }

    // ---- 2. Absent fields and explicit null ------------------------------------------------------

    [Fact]
    public void Fields_absent_from_an_update_are_kept()
    {
        var state = Created(Team, Ada);

        var result = SmartMerge.Update(Team, state, Patch("""{"role": "CTO"}""", 1));

        Assert.Equal(MergeStatus.Applied, result.Status);
        AssertValue("\"Ada\"", result.State.Fields["name"]);
        AssertValue("\"ada@example.com\"", result.State.Fields["email"]);
        AssertValue("\"Writes notes\"", result.State.Fields["bio"]);
        AssertValue("\"E-1\"", result.State.Fields["employeeId"]);
        AssertValue("\"CTO\"", result.State.Fields["role"]);
        Assert.Equal(state.Fields.Keys.Order(), result.State.Fields.Keys.Order());
        Assert.Equal(1, result.State.FieldVersions["email"]);
    }

    [Fact]
    public void Explicit_null_clears_a_field()
    {
        var state = Created(Team, Ada);

        var result = SmartMerge.Update(Team, state, Patch("""{"bio": null}""", 1));

        Assert.Equal(MergeStatus.Applied, result.Status);
        Assert.False(result.State.Fields.ContainsKey("bio"));
        Assert.Equal(2, result.State.FieldVersions["bio"]);
        Assert.Equal(["bio"], result.Changed);
    }

    [Fact]
    public void Clearing_a_field_that_has_no_value_changes_nothing()
    {
        var state = Created(Team, Ada);

        var result = SmartMerge.Update(Team, state, Patch("""{"photoUrl": null}""", 1));

        Assert.Equal(MergeStatus.NoChange, result.Status);
        Assert.Same(state, result.State);
    }

    [Theory]
    [InlineData("settings", "siteName")]
    [InlineData("team", "name")]
    [InlineData("services", "title")]
    [InlineData("solutions", "title")]
    public void Clearing_a_required_field_is_invalid_and_names_the_field(string type, string required)
    {
        var schema = Type(type);
        var state = Created(schema, $$"""{"{{required}}": "Keep me"}""");

        var result = SmartMerge.Update(schema, state, Patch($$"""{"{{required}}": null}""", 1));

        Assert.Equal(MergeStatus.Invalid, result.Status);
        Assert.Equal(required, Assert.Single(result.Errors).Field);
        Assert.Same(state, result.State);
    }

    // ---- 3. Three-way merge and conflicts --------------------------------------------------------

    [Fact]
    public void Concurrent_edits_of_different_fields_both_survive()
    {
        var loaded = Created(Team, Ada);

        var first = SmartMerge.Update(Team, loaded, Patch("""{"role": "CTO"}""", 1));
        var second = SmartMerge.Update(Team, first.State, Patch("""{"email": "ada@lovelace.org"}""", 1));

        Assert.Equal(MergeStatus.Applied, second.Status);
        AssertValue("\"CTO\"", second.State.Fields["role"]);
        AssertValue("\"ada@lovelace.org\"", second.State.Fields["email"]);
        Assert.Equal(3, second.State.Version);
        Assert.Equal(["role"], second.Merged);
        Assert.Empty(second.Conflicts);
    }

    [Theory]
    [InlineData(1, new[] { "email", "role" })]
    [InlineData(2, new[] { "email" })]
    [InlineData(3, new string[0])]
    public void Merged_lists_the_fields_others_changed_since_the_base_version(long baseVersion, string[] merged)
    {
        var state = Created(Team, Ada);
        state = SmartMerge.Update(Team, state, Patch("""{"role": "CTO"}""", 1)).State;
        state = SmartMerge.Update(Team, state, Patch("""{"email": "ada@lovelace.org"}""", 2)).State;

        var result = SmartMerge.Update(Team, state, Patch("""{"bio": "Counts"}""", baseVersion));

        Assert.Equal(MergeStatus.Applied, result.Status);
        Assert.Equal(merged, result.Merged);
    }

    [Fact]
    public void Same_field_changed_by_both_is_refused_under_reject_with_both_values()
    {
        var loaded = Created(Team, Ada);
        var afterFirst = SmartMerge.Update(Team, loaded, Patch("""{"role": "CTO"}""", 1)).State;

        var result = SmartMerge.Update(Team, afterFirst, Patch("""{"role": "CEO", "email": "ceo@example.com"}""", 1));

        Assert.Equal(MergeStatus.Conflict, result.Status);
        Assert.Same(afterFirst, result.State);
        AssertValue("\"CTO\"", result.State.Fields["role"]);
        AssertValue("\"ada@example.com\"", result.State.Fields["email"]);
        var conflict = Assert.Single(result.Conflicts);
        Assert.Equal("role", conflict.Field);
        AssertValue("\"CTO\"", conflict.ServerValue);
        AssertValue("\"CEO\"", conflict.ClientValue);
        Assert.Empty(result.Changed);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Same_field_changed_by_both_is_applied_and_reported_under_last_writer_wins()
    {
        var loaded = Created(TeamLastWriterWins, Ada);
        var afterFirst = SmartMerge.Update(TeamLastWriterWins, loaded, Patch("""{"role": "CTO"}""", 1)).State;

        var result = SmartMerge.Update(TeamLastWriterWins, afterFirst, Patch("""{"role": "CEO", "email": "ceo@example.com"}""", 1));

        Assert.Equal(MergeStatus.Applied, result.Status);
        Assert.Equal(3, result.State.Version);
        AssertValue("\"CEO\"", result.State.Fields["role"]);
        AssertValue("\"ceo@example.com\"", result.State.Fields["email"]);
        var conflict = Assert.Single(result.Conflicts);
        Assert.Equal("role", conflict.Field);
        AssertValue("\"CTO\"", conflict.ServerValue);
        AssertValue("\"CEO\"", conflict.ClientValue);
        Assert.Equal(["email", "role"], result.Changed);
    }

    [Theory]
    [InlineData(ConflictPolicy.Reject, MergeStatus.Conflict)]
    [InlineData(ConflictPolicy.LastWriterWins, MergeStatus.Applied)]
    public void Setting_a_field_another_editor_cleared_is_a_conflict(ConflictPolicy policy, MergeStatus status)
    {
        var schema = Team with { ConflictPolicy = policy };
        var afterClear = SmartMerge.Update(schema, Created(schema, Ada), Patch("""{"bio": null}""", 1)).State;

        var result = SmartMerge.Update(schema, afterClear, Patch("""{"bio": "Rewritten"}""", 1));

        Assert.Equal(status, result.Status);
        var conflict = Assert.Single(result.Conflicts);
        Assert.Equal("bio", conflict.Field);
        Assert.Null(conflict.ServerValue);
        AssertValue("\"Rewritten\"", conflict.ClientValue);
    }

    [Theory]
    [InlineData(ConflictPolicy.Reject, MergeStatus.Conflict)]
    [InlineData(ConflictPolicy.LastWriterWins, MergeStatus.Applied)]
    public void Clearing_a_field_another_editor_changed_is_a_conflict(ConflictPolicy policy, MergeStatus status)
    {
        var schema = Team with { ConflictPolicy = policy };
        var afterEdit = SmartMerge.Update(schema, Created(schema, Ada), Patch("""{"bio": "Edited"}""", 1)).State;

        var result = SmartMerge.Update(schema, afterEdit, Patch("""{"bio": null}""", 1));

        Assert.Equal(status, result.Status);
        var conflict = Assert.Single(result.Conflicts);
        AssertValue("\"Edited\"", conflict.ServerValue);
        Assert.Null(conflict.ClientValue);
        Assert.Equal(policy == ConflictPolicy.LastWriterWins, !result.State.Fields.ContainsKey("bio"));
    }

    [Theory]
    [InlineData(ConflictPolicy.Reject)]
    [InlineData(ConflictPolicy.LastWriterWins)]
    public void Same_value_written_by_both_is_not_a_conflict(ConflictPolicy policy)
    {
        var schema = Team with { ConflictPolicy = policy };
        var afterFirst = SmartMerge.Update(schema, Created(schema, Ada), Patch("""{"role": "CTO", "order": 2}""", 1)).State;

        var same = SmartMerge.Update(schema, afterFirst, new EntityPatch(new Dictionary<string, JsonNode?> { ["role"] = JsonValue.Create("CTO"), ["order"] = JsonNode.Parse("2.0") }, 1));
        var sameAndMore = SmartMerge.Update(schema, afterFirst, Patch("""{"role": "CTO", "bio": "Also new"}""", 1));

        Assert.Equal(MergeStatus.NoChange, same.Status);
        Assert.Same(afterFirst, same.State);
        Assert.Empty(same.Conflicts);
        Assert.Equal(MergeStatus.Applied, sameAndMore.Status);
        Assert.Empty(sameAndMore.Conflicts);
        Assert.Equal(["bio"], sameAndMore.Changed);
        Assert.Equal(2, sameAndMore.State.FieldVersions["role"]);
    }

    [Fact]
    public void Changing_a_field_again_from_the_current_version_is_not_a_conflict()
    {
        var afterFirst = SmartMerge.Update(Team, Created(Team, Ada), Patch("""{"role": "CTO"}""", 1)).State;

        var result = SmartMerge.Update(Team, afterFirst, Patch("""{"role": "CEO"}""", 2));

        Assert.Equal(MergeStatus.Applied, result.Status);
        Assert.Empty(result.Conflicts);
        Assert.Empty(result.Merged);
    }

    // ---- 4. Writes that change nothing ----------------------------------------------------------

    [Fact]
    public void Writing_back_the_current_values_changes_nothing()
    {
        var state = Created(Team, """{"name": "Ada", "order": 2, "active": true, "skills": ["c#", "sql"], "role": "CTO"}""");
        var sameInOtherForms = new Dictionary<string, JsonNode?>
        {
            ["name"] = JsonValue.Create("Ada"),
            ["order"] = JsonValue.Create(2.0),
            ["active"] = JsonValue.Create(true),
            ["skills"] = new JsonArray("c#", "sql"),
            ["photoUrl"] = null,
        };

        foreach (var patch in new[] { Patch("""{"name": "Ada", "order": 2, "active": true, "skills": ["c#", "sql"], "role": "CTO"}""", 1), new EntityPatch(sameInOtherForms, 1) })
        {
            var result = SmartMerge.Update(Team, state, patch);

            Assert.Equal(MergeStatus.NoChange, result.Status);
            Assert.Same(state, result.State);
            Assert.Equal(1, result.State.Version);
            Assert.Empty(result.Changed);
            Assert.Empty(result.Conflicts);
        }
    }

    [Fact]
    public void A_skill_list_in_another_order_is_a_change()
    {
        var state = Created(Team, """{"name": "Ada", "skills": ["c#", "sql"]}""");

        var result = SmartMerge.Update(Team, state, Patch("""{"skills": ["sql", "c#"]}""", 1));

        Assert.Equal(MergeStatus.Applied, result.Status);
    }

    // ---- 5. Validation --------------------------------------------------------------------------

    /// <summary>type, field, a JSON value the field must refuse.</summary>
    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "team", "role", "42" },
        { "team", "role", "true" },
        { "team", "role", "[\"CTO\"]" },
        { "team", "role", "{\"title\": \"CTO\"}" },
        { "services", "price", "\"12.50\"" },
        { "services", "price", "true" },
        { "services", "price", "[12]" },
        { "team", "order", "1.5" },
        { "team", "order", "\"2\"" },
        { "team", "order", "true" },
        { "team", "active", "\"true\"" },
        { "team", "active", "1" },
        { "team", "joinDate", "\"not a date\"" },
        { "team", "joinDate", "\"2024-02-30\"" },
        { "team", "joinDate", "\"12:00\"" },
        { "team", "joinDate", "\"03/04/2024\"" },
        { "team", "joinDate", "20240101" },
        { "team", "skills", "\"c#\"" },
        { "team", "skills", "[1]" },
        { "team", "skills", "[\"c#\", null]" },
        { "team", "skills", "{\"0\": \"c#\"}" },
    };

    /// <summary>type, field, a JSON value the field must accept.</summary>
    public static TheoryData<string, string, string> RightTypes => new()
    {
        { "team", "role", "\"CTO\"" },
        { "team", "role", "\"\"" },
        { "services", "price", "12.5" },
        { "services", "price", "-3" },
        { "services", "price", "1e3" },
        { "team", "order", "2" },
        { "team", "order", "2.0" },
        { "team", "order", "-7" },
        { "team", "order", "1e2" },
        { "team", "active", "true" },
        { "team", "active", "false" },
        { "team", "joinDate", "\"2024-01-01\"" },
        { "team", "joinDate", "\"2024-01-01T09:30:00Z\"" },
        { "team", "joinDate", "\"2024-01-01T09:30:00.123+02:00\"" },
        { "team", "skills", "[]" },
        { "team", "skills", "[\"c#\", \"sql\"]" },
        { "settings", "socialLinks", "{\"x\": \"https://x.com/acme\"}" },
        { "settings", "socialLinks", "[1, \"two\", null]" },
        { "settings", "socialLinks", "\"text\"" },
        { "settings", "socialLinks", "42" },
        { "settings", "socialLinks", "false" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void A_value_of_the_wrong_type_is_invalid_and_names_the_field(string type, string field, string json)
    {
        var schema = Type(type);

        var result = SmartMerge.Create(schema, Patch($$"""{"{{RequiredField(schema)}}": "New", "{{field}}": {{json}}}""", null), Now);

        Assert.Equal(MergeStatus.Invalid, result.Status);
        Assert.Equal(field, Assert.Single(result.Errors).Field);
        Assert.Equal(0, result.State.Version);
        Assert.Empty(result.State.Fields);
    }

    [Theory]
    [MemberData(nameof(RightTypes))]
    public void A_value_of_the_right_type_is_stored_as_sent(string type, string field, string json)
    {
        var schema = Type(type);

        var result = SmartMerge.Create(schema, Patch($$"""{"{{RequiredField(schema)}}": "New", "{{field}}": {{json}}}""", null), Now);

        Assert.Equal(MergeStatus.Applied, result.Status);
        AssertValue(json, result.State.Fields[field]);
    }

    [Fact]
    public void Values_built_in_code_validate_like_values_from_a_request()
    {
        var cases = new (string Field, JsonNode Value, bool Valid)[]
        {
            ("order", JsonValue.Create(2), true),
            ("order", JsonValue.Create(2.0), true),
            ("order", JsonValue.Create(2.0m), true),
            ("order", JsonValue.Create(1.5), false),
            ("order", JsonValue.Create(1.5m), false),
            ("role", JsonValue.Create("CTO"), true),
            ("role", JsonValue.Create(3), false),
            ("employeeId", JsonValue.Create(Guid.Empty), true),
            ("active", JsonValue.Create(false), true),
            ("active", JsonValue.Create("false"), false),
            ("joinDate", JsonValue.Create(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero)), true),
            ("joinDate", JsonValue.Create(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc)), true),
            ("joinDate", JsonValue.Create("yesterday"), false),
            ("skills", new JsonArray("c#", "sql"), true),
            ("skills", new JsonArray(JsonValue.Create(1)), false),
        };

        foreach (var (field, value, valid) in cases)
        {
            var result = SmartMerge.Create(Team, new EntityPatch(new Dictionary<string, JsonNode?> { ["name"] = JsonValue.Create("Ada"), [field] = value }, null), Now);

            Assert.True(valid == (result.Status == MergeStatus.Applied), $"{field} = {value.ToJsonString()}: {result.Status} {string.Join("; ", result.Errors)}");
            if (!valid)
            {
                Assert.Equal(field, Assert.Single(result.Errors).Field);
            }
        }
    }

    [Fact]
    public void An_update_is_validated_too()
    {
        var state = Created(Team, Ada);

        var result = SmartMerge.Update(Team, state, Patch("""{"role": 42, "order": 1.5, "bio": "fine"}""", 1));

        Assert.Equal(MergeStatus.Invalid, result.Status);
        Assert.Equal(["order", "role"], result.Errors.Select(e => e.Field).Order());
        Assert.Same(state, result.State);
        Assert.Empty(result.Changed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_unknown_field_is_invalid_and_named(bool creating)
    {
        var patch = Patch("""{"name": "Ada", "nickname": "Countess"}""", creating ? null : 1);

        var result = creating ? SmartMerge.Create(Team, patch, Now) : SmartMerge.Update(Team, Created(Team, Ada), patch);

        Assert.Equal(MergeStatus.Invalid, result.Status);
        Assert.Equal("nickname", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void Field_names_are_case_sensitive()
    {
        var result = SmartMerge.Update(Team, Created(Team, Ada), Patch("""{"Role": "CTO"}""", 1));

        Assert.Equal("Role", Assert.Single(result.Errors).Field);
    }

    [Theory]
    [InlineData("role", 200, true)]
    [InlineData("role", 201, false)]
    [InlineData("employeeId", 50, true)]
    [InlineData("employeeId", 51, false)]
    [InlineData("skills", 50, true)]
    [InlineData("skills", 51, false)]
    public void Strings_and_lists_longer_than_MaxLength_are_invalid(string field, int length, bool valid)
    {
        var value = field == "skills"
            ? "[" + string.Join(", ", Enumerable.Range(0, length).Select(i => $"\"s{i}\"")) + "]"
            : "\"" + new string('x', length) + "\"";

        var result = SmartMerge.Create(Team, Patch($$"""{"name": "Ada", "{{field}}": {{value}}}""", null), Now);

        Assert.Equal(valid ? MergeStatus.Applied : MergeStatus.Invalid, result.Status);
        Assert.Equal(valid ? [] : [field], result.Errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("settings", """{"tagline": "Hello"}""")]
    [InlineData("team", """{"role": "CTO"}""")]
    [InlineData("services", """{"title": null, "price": 10}""")]
    [InlineData("solutions", """{}""")]
    public void A_create_without_a_required_field_is_invalid_and_names_it(string type, string json)
    {
        var schema = Type(type);

        var result = SmartMerge.Create(schema, Patch(json, null), Now);

        Assert.Equal(MergeStatus.Invalid, result.Status);
        Assert.Equal(RequiredField(schema), Assert.Single(result.Errors).Field);
        Assert.Empty(result.State.Fields);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(3L)]
    public void An_update_needs_a_base_version_between_1_and_the_current_version(long? baseVersion)
    {
        var state = SmartMerge.Update(Team, Created(Team, Ada), Patch("""{"role": "CTO"}""", 1)).State;

        var result = SmartMerge.Update(Team, state, Patch("""{"bio": "New"}""", baseVersion));

        Assert.Equal(MergeStatus.Invalid, result.Status);
        Assert.Equal("baseVersion", Assert.Single(result.Errors).Field);
        Assert.Same(state, result.State);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    public void An_update_from_any_version_up_to_the_current_one_is_accepted(long baseVersion)
    {
        var state = SmartMerge.Update(Team, Created(Team, Ada), Patch("""{"role": "CTO"}""", 1)).State;

        var result = SmartMerge.Update(Team, state, Patch("""{"bio": "New"}""", baseVersion));

        Assert.Equal(MergeStatus.Applied, result.Status);
    }

    [Theory]
    [InlineData(null, MergeStatus.Applied)]
    [InlineData(0L, MergeStatus.Applied)]
    [InlineData(1L, MergeStatus.Invalid)]
    [InlineData(7L, MergeStatus.Invalid)]
    public void A_create_must_not_claim_a_base_version(long? baseVersion, MergeStatus status)
    {
        var result = SmartMerge.Create(Team, Patch(Ada, baseVersion), Now);

        Assert.Equal(status, result.Status);
        Assert.Equal(status == MergeStatus.Invalid ? ["baseVersion"] : [], result.Errors.Select(e => e.Field));
    }

    // ---- 6. Versions ----------------------------------------------------------------------------

    [Fact]
    public void A_create_is_version_1_with_every_field_stamped_1()
    {
        var state = Created(Team, Ada);

        Assert.Equal(1, state.Version);
        Assert.Equal(state.Fields.Keys.Order(), state.FieldVersions.Keys.Order());
        Assert.All(state.FieldVersions.Values, v => Assert.Equal(1, v));
    }

    [Fact]
    public void An_applied_write_bumps_the_version_by_one_and_stamps_only_the_changed_fields()
    {
        var v1 = Created(Team, Ada);

        var v2 = SmartMerge.Update(Team, v1, Patch("""{"role": "CTO", "name": "Ada"}""", 1)).State;
        var v3 = SmartMerge.Update(Team, v2, Patch("""{"email": "ada@lovelace.org", "bio": null, "order": 1}""", 2)).State;

        Assert.Equal(2, v2.Version);
        Assert.Equal(3, v3.Version);
        Assert.Equal(
            new Dictionary<string, long> { ["bio"] = 3, ["createdAt"] = 1, ["email"] = 3, ["employeeId"] = 1, ["name"] = 1, ["order"] = 3, ["role"] = 2 },
            v3.FieldVersions);
    }

    [Fact]
    public void Refused_writes_leave_version_and_state_unchanged()
    {
        var state = SmartMerge.Update(Team, Created(Team, Ada), Patch("""{"role": "CTO"}""", 1)).State;

        var conflict = SmartMerge.Update(Team, state, Patch("""{"role": "CEO"}""", 1));
        var invalid = SmartMerge.Update(Team, state, Patch("""{"order": "first"}""", 2));
        var noChange = SmartMerge.Update(Team, state, Patch("""{"role": "CTO"}""", 2));

        Assert.Equal(
            [MergeStatus.Conflict, MergeStatus.Invalid, MergeStatus.NoChange],
            new[] { conflict.Status, invalid.Status, noChange.Status });
        foreach (var result in new[] { conflict, invalid, noChange })
        {
            AssertSameState(state, result.State);
        }
    }

    // ---- 7. Per-tenant type configuration -------------------------------------------------------

    private static EntityTypeCatalog CatalogWith(EntityTypeOverride teamOverride) => new(
        DefaultEntityTypes.All,
        new Dictionary<string, IReadOnlyDictionary<string, EntityTypeOverride>>
        {
            ["acme"] = new Dictionary<string, EntityTypeOverride> { ["team"] = teamOverride },
        });

    [Fact]
    public void A_tenant_override_of_preserved_fields_applies_only_to_that_tenant()
    {
        var catalog = CatalogWith(new EntityTypeOverride(PreservedFields: ["createdAt", "email"]));
        var acme = catalog.Find("acme", "team")!;
        var globex = catalog.Find("globex", "team")!;
        var patch = Patch("""{"email": "new@example.com", "employeeId": "E-2"}""", 1);

        var atAcme = SmartMerge.Update(acme, Created(acme, Ada), patch);
        var atGlobex = SmartMerge.Update(globex, Created(globex, Ada), patch);

        AssertValue("\"ada@example.com\"", atAcme.State.Fields["email"]);
        AssertValue("\"E-2\"", atAcme.State.Fields["employeeId"]);
        Assert.Equal(["email"], atAcme.Preserved);
        AssertValue("\"new@example.com\"", atGlobex.State.Fields["email"]);
        AssertValue("\"E-1\"", atGlobex.State.Fields["employeeId"]);
        Assert.Equal(["employeeId"], atGlobex.Preserved);
        Assert.Same(DefaultEntityTypes.Team, globex);
    }

    [Fact]
    public void A_tenant_override_of_the_conflict_policy_applies_only_to_that_tenant()
    {
        var catalog = CatalogWith(new EntityTypeOverride(ConflictPolicy: ConflictPolicy.LastWriterWins));

        MergeStatus ConcurrentRoleEdits(EntityTypeSchema schema)
        {
            var afterFirst = SmartMerge.Update(schema, Created(schema, Ada), Patch("""{"role": "CTO"}""", 1)).State;
            return SmartMerge.Update(schema, afterFirst, Patch("""{"role": "CEO"}""", 1)).Status;
        }

        Assert.Equal(MergeStatus.Applied, ConcurrentRoleEdits(catalog.Find("acme", "team")!));
        Assert.Equal(MergeStatus.Conflict, ConcurrentRoleEdits(catalog.Find("globex", "team")!));
        Assert.Equal(ConflictPolicy.Reject, catalog.Find("acme", "services")!.ConflictPolicy);
    }

    [Fact]
    public void A_tenant_extra_field_exists_only_for_that_tenant_and_cannot_redefine_a_field()
    {
        var catalog = CatalogWith(new EntityTypeOverride(ExtraFields: [new("pronouns", FieldType.String, MaxLength: 20), new("name", FieldType.Integer)]));
        var acme = catalog.Find("acme", "team")!;
        var globex = catalog.Find("globex", "team")!;
        var patch = Patch("""{"name": "Ada", "pronouns": "she/her"}""", null);

        Assert.Equal(MergeStatus.Applied, SmartMerge.Create(acme, patch, Now).Status);
        Assert.Equal("pronouns", Assert.Single(SmartMerge.Create(globex, patch, Now).Errors).Field);
        Assert.Equal(FieldType.String, acme.Field("name")!.Type);
        Assert.Single(acme.Fields, f => f.Name == "name");
        Assert.Equal(Team.PreservedFields, acme.PreservedFields);
        Assert.Equal(Team.ConflictPolicy, acme.ConflictPolicy);
    }

    [Fact]
    public void A_tenant_lists_every_configured_type_in_order_with_its_overrides()
    {
        var catalog = CatalogWith(new EntityTypeOverride(ConflictPolicy: ConflictPolicy.LastWriterWins));

        var types = catalog.For("acme");

        Assert.Equal(["settings", "team", "services", "solutions"], types.Select(t => t.Name));
        Assert.Equal(ConflictPolicy.LastWriterWins, types[1].ConflictPolicy);
        Assert.Equal(DefaultEntityTypes.All, catalog.For("globex"));
    }

    [Fact]
    public void An_unknown_type_is_not_found()
    {
        var catalog = CatalogWith(new EntityTypeOverride(ConflictPolicy: ConflictPolicy.LastWriterWins));

        Assert.Null(catalog.Find("acme", "invoices"));
        Assert.Null(catalog.Find("globex", "Team"));
        Assert.NotNull(catalog.Find("globex", "team"));
    }
}
