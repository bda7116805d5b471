using System.Runtime.CompilerServices;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>
/// The test host keeps two thread-pool threads blocked for the whole run (the test platform's message loop and xunit's
/// assembly runner). On two cores the pool's hill climbing often settles at two workers, so with those two taken every
/// other work item waited for starvation detection: 0.5–1 s with the pool's threads idle. The stress tests' generator
/// read that as its own lateness and sent the missed calls in a burst. A floor of workers above what the host blocks
/// keeps the pool serving work; a process run by users (the server, the eas CLI) has no such blocked threads.
/// </summary>
internal static class TestHostThreads
{
    [ModuleInitializer]
    internal static void RaiseWorkerFloor()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, Environment.ProcessorCount + 8), io);
    }
}
