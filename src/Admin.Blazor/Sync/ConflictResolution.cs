namespace RealtimeSync.Admin.Sync;

/// <summary>A resolution chosen on the conflict panel: accept-server, keep-local or merge (with the merged values).</summary>
public sealed record ConflictResolution(string Resolution, Dictionary<string, string>? Merged);
