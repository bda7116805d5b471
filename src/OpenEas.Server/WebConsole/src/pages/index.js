import { AlertsPage } from './alerts.js';
import { CreatePage } from './create.js';
import { ResourcesPage } from './resources.js';
import { ServicePage } from './service.js';
import { ServicesPage } from './services.js';
import { StressJobPage, StressPage } from './stress.js';

/**
 * Every page of the console: a route pattern (#/…), the module that draws it, and a label when it is in the
 * navigation. A feature adds its page here (one module each); a per-service view is a tab (service/tabs.js).
 */
export const pages = [
  { path: '/services', nav: 'Services', component: ServicesPage },
  { path: '/services/new', component: CreatePage },
  { path: '/services/:name', component: ServicePage },
  { path: '/services/:name/:tab', component: ServicePage },
  { path: '/stress', nav: 'Stress tests', component: StressPage },
  { path: '/stress/:id', component: StressJobPage },
  { path: '/alerts', nav: 'Alerts', component: AlertsPage },
  { path: '/resources', nav: 'Resource groups', component: ResourcesPage },
];
