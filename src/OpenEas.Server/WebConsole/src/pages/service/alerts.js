import { html } from '../../lib/html.js';
import { AlertsPanel } from '../alerts.js';

export function AlertsTab({ name }) {
  return html`<${AlertsPanel} service=${name} />`;
}
