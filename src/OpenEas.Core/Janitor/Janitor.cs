using Microsoft.Extensions.Hosting;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Hosting;
using OpenEas.Core.Store;

namespace OpenEas.Core.Janitor;

/// <summary>
/// Deletes services that have not run for a long time (180 days by default), as EAS does; warns with an
/// event some days before. Runs hourly; <see cref="Sweep"/> is the whole decision, tested with a fake clock.
/// </summary>
public sealed class Janitor : BackgroundService
{
    private readonly EasStore _store;
    private readonly ServiceManager _services;
    private readonly TimeProvider _time;
    private readonly EasCoreOptions _options;
    private readonly Lock _sweeping = new();

    public Janitor(EasStore store, ServiceManager services, TimeProvider time, EasCoreOptions options)
    {
        _store = store;
        _services = services;
        _time = time;
        _options = options;
    }

    /// <summary>One sweep: warns about and deletes idle services. Returns the names deleted.</summary>
    public IReadOnlyList<string> Sweep()
    {
        lock (_sweeping)
        {
            return SweepLocked();
        }
    }

    private List<string> SweepLocked()
    {
        var now = _time.GetUtcNow();
        var deleted = new List<string>();
        foreach (var service in _store.ListServices())
        {
            if (service.IdleSince is not { } idleSince || service.Status == ServiceStates.Deleting)
            {
                continue;
            }

            var deleteAt = idleSince + _options.JanitorIdleLimit;
            if (now >= deleteAt)
            {
                _store.AddEvent(service.Name, now, "Warning", "JanitorDeleting",
                    $"not running since {idleSince:u} ({_options.JanitorIdleLimit.TotalDays:0} days): deleting");
                _services.Delete(service.Name, $"deleted automatically: not running for {_options.JanitorIdleLimit.TotalDays:0} days");
                deleted.Add(service.Name);
            }
            else if (now >= deleteAt - _options.JanitorWarning && service.JanitorWarnedAt is null)
            {
                _store.SetJanitorWarned(service.Name, now);
                _store.AddEvent(service.Name, now, "Warning", "JanitorWarning",
                    $"not running since {idleSince:u}: will be deleted automatically at {deleteAt:u} unless started");
            }
        }

        _store.PruneEvents(now - _options.EventRetention);
        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Sweep();
            try
            {
                await Task.Delay(TimeSpan.FromHours(1), _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
