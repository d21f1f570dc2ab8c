using System.Reflection;
using Xunit.Sdk;

namespace RealtimeSync.Hub.Tests.Realtime.Backplane;

/// <summary>
/// Theory data for <see cref="LifetimeManagerSuite"/>: the placements the concrete suite runs, from its
/// <see cref="IPlacements.Placements"/>. MemberData cannot do this: it looks members up on the class that
/// declares the test method (the abstract suite), not on the class that runs it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PlacementsAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod)
    {
        var suite = testMethod.ReflectedType ?? throw new InvalidOperationException($"{testMethod.Name} has no test class.");
        var placements = suite.GetProperty(nameof(IPlacements.Placements), BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as IEnumerable<Placement>
            ?? throw new InvalidOperationException($"{suite.Name} must declare public static IReadOnlyList<Placement> Placements.");
        return placements.Select(p => new object[] { p });
    }
}

/// <summary>What a concrete lifetime-manager suite declares: where its receiving clients may be.</summary>
public interface IPlacements
{
    static abstract IReadOnlyList<Placement> Placements { get; }
}
