namespace RealtimeSync.Shared.Entities;

/// <summary>
/// The entity types every tenant starts with. Operators override them per tenant through configuration
/// (<see cref="EntityTypeCatalog"/>); nothing in the code depends on these particular names.
/// </summary>
public static class DefaultEntityTypes
{
    /// <summary>Tenant settings: one per tenant.</summary>
    public static EntityTypeSchema Settings { get; } = new(
        "settings",
        [
            new("siteName", FieldType.String, Required: true, MaxLength: 200),
            new("tagline", FieldType.String, MaxLength: 500),
            new("contactEmail", FieldType.String, MaxLength: 320),
            new("phone", FieldType.String, MaxLength: 50),
            new("address", FieldType.String, MaxLength: 500),
            new("primaryColor", FieldType.String, MaxLength: 20),
            new("maintenanceMode", FieldType.Boolean),
            new("socialLinks", FieldType.Json),
            new("createdAt", FieldType.Date),
            new("updatedBy", FieldType.String, MaxLength: 200),
        ],
        ["createdAt", "updatedBy"],
        Singleton: true);

    /// <summary>Team members.</summary>
    public static EntityTypeSchema Team { get; } = new(
        "team",
        [
            new("name", FieldType.String, Required: true, MaxLength: 200, List: ListColumn.Always),
            new("role", FieldType.String, MaxLength: 200, List: ListColumn.Always),
            new("email", FieldType.String, MaxLength: 320, List: ListColumn.Wide),
            new("bio", FieldType.String, MaxLength: 4000),
            new("photoUrl", FieldType.String, MaxLength: 2000, Label: "Photo", Image: true),
            new("order", FieldType.Integer),
            new("active", FieldType.Boolean, List: ListColumn.Wide),
            new("skills", FieldType.StringList, MaxLength: 50),
            new("createdAt", FieldType.Date),
            new("joinDate", FieldType.Date),
            new("employeeId", FieldType.String, MaxLength: 50, Label: "Employee ID"),
        ],
        ["createdAt", "joinDate", "employeeId"],
        TitleField: "name");

    /// <summary>Services offered.</summary>
    public static EntityTypeSchema Services { get; } = new(
        "services",
        [
            new("title", FieldType.String, Required: true, MaxLength: 200, List: ListColumn.Always),
            new("description", FieldType.String, MaxLength: 4000),
            new("price", FieldType.Number, List: ListColumn.Wide),
            new("icon", FieldType.String, MaxLength: 100),
            new("order", FieldType.Integer),
            new("published", FieldType.Boolean, List: ListColumn.Wide),
            new("createdAt", FieldType.Date),
            new("views", FieldType.Integer),
            new("rating", FieldType.Number),
        ],
        ["createdAt", "views", "rating"],
        TitleField: "title");

    /// <summary>Solutions (case studies, products).</summary>
    public static EntityTypeSchema Solutions { get; } = new(
        "solutions",
        [
            new("title", FieldType.String, Required: true, MaxLength: 200, List: ListColumn.Always),
            new("summary", FieldType.String, MaxLength: 1000),
            new("body", FieldType.String, MaxLength: 20000),
            new("tags", FieldType.StringList, MaxLength: 30),
            new("order", FieldType.Integer),
            new("published", FieldType.Boolean, List: ListColumn.Wide),
            new("createdAt", FieldType.Date),
            new("views", FieldType.Integer),
            new("category", FieldType.String, MaxLength: 100, List: ListColumn.Wide),
        ],
        ["createdAt", "views", "category"],
        TitleField: "title");

    /// <summary>All default types, in display order.</summary>
    public static IReadOnlyList<EntityTypeSchema> All { get; } = [Settings, Team, Services, Solutions];
}
