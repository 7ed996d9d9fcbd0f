import { Counter, type Registry } from 'prom-client';
import type { Database } from './client.js';

/**
 * `troupe_db_round_trips_total` and `troupe_db_statements_total`: what this process asked of its
 * database (Database.stats; a round trip is a wait for the server, statements pipelined behind
 * another share it). Read when scraped; once per registry.
 */
export function registerDbMetrics(registry: Registry, database: Pick<Database, 'stats' | 'kind'>): void {
  if (registry.getSingleMetric('troupe_db_round_trips_total')) return;
  const series = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      labelNames: ['database'] as const,
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ database: database.kind }, read());
      },
    });
  series('troupe_db_round_trips_total', 'Database round trips (waits for the server; PGlite: calls into the engine)', () => database.stats.roundTrips);
  series('troupe_db_statements_total', 'Database statements sent', () => database.stats.statements);
}
