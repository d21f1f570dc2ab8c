using Microsoft.EntityFrameworkCore;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// The backoffice lists' search, sort and paging, done by the database so a type with 10,000 records and more
/// pages as fast as one with ten. Field values live in the JSON text column <c>fields</c>, so the query reads them
/// with each provider's JSON functions (PostgreSQL <c>jsonb</c>, SQLite JSON1); everything else is parameters.
/// </summary>
internal static class EntityListQueries
{
    public static async Task<EntityListPage> QueryAsync(RealtimeSyncDb db, string tenant, EntityTypeSchema schema, EntityListQuery query, CancellationToken ct)
    {
        var postgres = db.Database.IsNpgsql();
        var args = new List<object> { tenant, schema.Name };
        var where = "tenant_id = {0} AND entity_type = {1} AND NOT deleted";

        var searchable = schema.Fields.Where(f => f.Type is FieldType.String or FieldType.StringList).Select(f => f.Name).ToList();
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var pattern = "%" + query.Search.Trim().ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            args.Add(pattern);
            var like = $"LIKE {{{args.Count - 1}}} ESCAPE '\\'";
            var keys = string.Join(", ", searchable.Select(name => { args.Add(name); return $"{{{args.Count - 1}}}"; }));
            var values = postgres ? "jsonb_each_text(fields::jsonb)" : "json_each(fields)";
            where += keys.Length == 0
                ? $" AND lower(id) {like}"
                : $" AND (lower(id) {like} OR EXISTS (SELECT 1 FROM {values} AS f WHERE f.key IN ({keys}) AND lower(CAST(f.value AS text)) {like}))";
        }

        var sortName = query.SortField ?? schema.TitleField ?? schema.Fields.FirstOrDefault(f => f.Required && f.Type == FieldType.String)?.Name;
        string orderBy;
        if (sortName == EntityListQuery.UpdatedAt)
        {
            orderBy = "updated_at";
        }
        else if (sortName is not null && schema.Field(sortName) is { } field)
        {
            args.Add(field.Name);
            var p = $"{{{args.Count - 1}}}";
            orderBy = (postgres, field.Type) switch
            {
                (true, FieldType.Number or FieldType.Integer) => $"(fields::jsonb ->> {p})::numeric",
                (true, _) => $"lower(fields::jsonb ->> {p})",
                (false, FieldType.Number or FieldType.Integer or FieldType.Boolean) => $"json_extract(fields, '$.\"' || {p} || '\"')",
                (false, _) => $"lower(json_extract(fields, '$.\"' || {p} || '\"'))",
            };
        }
        else
        {
            orderBy = "id";
        }

        var direction = query.Descending ? "DESC" : "ASC";
        // Empty values last either way, then the id so a page boundary never depends on the database's whim.
        var order = $"({orderBy}) IS NULL, {orderBy} {direction}, id {direction}";

        var countSql = "SELECT CAST(COUNT(*) AS integer) AS \"Value\" FROM entities WHERE " + where;
        var total = await db.Database.SqlQueryRaw<int>(countSql, [.. args]).SingleAsync(ct);
        var pageArgs = new List<object>(args) { Math.Clamp(query.Take, 1, 500), Math.Max(0, query.Skip) };
        var pageSql = "SELECT * FROM entities WHERE " + where + " ORDER BY " + order + $" LIMIT {{{pageArgs.Count - 2}}} OFFSET {{{pageArgs.Count - 1}}}";
        var rows = await db.Entities
            .FromSqlRaw(pageSql, [.. pageArgs])
            .AsNoTracking()
            .ToListAsync(ct);
        return new EntityListPage(rows.Select(EntityStore.ToDto).ToList(), total);
    }
}
