import { AlertsTab } from './alerts.js';
import { DebugTab } from './debug.js';
import { EventsTab } from './events.js';
import { InstancesTab } from './instances.js';
import { LogsTab } from './logs.js';
import { MonitoringTab } from './monitoring.js';
import { OverviewTab } from './overview.js';
import { ScalingTab } from './scaling.js';
import { SpecTab } from './spec.js';
import { VersionsTab } from './versions.js';

/**
 * The tabs of a service's page, in order. Each gets {name, service (the description, refreshed every 2 s), reload}.
 * A tab that reads only its own API calls says `service: false`: it is drawn at once, while the description loads.
 * A feature with a per-service view adds its tab here (one module each).
 */
export const serviceTabs = [
  { id: 'overview', label: 'Overview', component: OverviewTab },
  { id: 'monitoring', service: false, label: 'Monitoring', component: MonitoringTab },
  { id: 'instances', service: false, label: 'Instances', component: InstancesTab },
  { id: 'logs', service: false, label: 'Logs', component: LogsTab },
  { id: 'events', service: false, label: 'Events', component: EventsTab },
  { id: 'versions', label: 'Versions', component: VersionsTab },
  { id: 'spec', label: 'Spec', component: SpecTab },
  { id: 'debug', label: 'Debug', component: DebugTab },
  { id: 'scaling', service: false, label: 'Scaling', component: ScalingTab },
  { id: 'alerts', service: false, label: 'Alerts', component: AlertsTab },
];
