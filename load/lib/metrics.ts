// Custom metrics of the HTTP scenarios (names must match CUSTOM_METRICS in catalog.ts).
import { Rate, Trend } from 'k6/metrics';

/** ms from a create being acknowledged until the item shows up in the (replica-backed) list. */
export const readYourWritesMs = new Trend('read_your_writes_ms', true);
/** share of creates that became visible within the polling bound. */
export const readYourWritesVisible = new Rate('read_your_writes_visible');
