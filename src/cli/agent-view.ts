import type { Agent } from '../agents/dto.js';
import type { Page } from '../shared/pagination.js';
import { formatKeyValues, formatTable, shortTime, type Column } from './output.js';

const COLUMNS: Column<Agent>[] = [
  { header: 'ID', value: (a) => a.id },
  { header: 'NAME', value: (a) => a.name },
  { header: 'MODEL', value: (a) => a.model },
  { header: 'STATUS', value: (a) => (a.deletedAt ? 'deleted' : a.status) },
  { header: 'VERSION', value: (a) => String(a.version) },
  { header: 'UPDATED', value: (a) => shortTime(a.updatedAt) },
];

/** A page of agents as a table, with a line saying how to get the next page when there is one. */
export function formatAgentPage(page: Page<Agent>): string {
  if (page.items.length === 0) return page.total ? `No agents on this page (${page.total} in all).` : 'No agents found.';
  const lines = [formatTable(COLUMNS, page.items)];
  const first = (page.offset ?? 0) + 1;
  if (page.nextCursor || page.items.length < page.total) {
    const range = page.offset === null ? `${page.items.length}` : `${first}–${first + page.items.length - 1}`;
    lines.push('', `Showing ${range} of ${page.total} agents.${page.nextCursor ? ` Next page: --cursor ${page.nextCursor}` : ''}`);
  }
  return lines.join('\n');
}

/** One agent as `key: value` lines (nested settings as dotted keys). */
export function formatAgent(agent: Agent): string {
  const { id, name, ...rest } = agent;
  return formatKeyValues({ id, name, ...rest });
}
