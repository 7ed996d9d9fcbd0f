import type { z } from 'zod';
import type { AtRiskReport, AttendanceReport, ChurnReport, LtvReport, MrrReport, NoShowReport, ArrReport } from '@server/packs/fitness/analytics/schemas';
import type { bookingSchema, checkInSchema, classSchema, sessionSchema } from '@server/packs/fitness/crm/dto/classes';
import type { paymentSchema, planSchema, subscriptionSchema } from '@server/packs/fitness/crm/dto/memberships';
import type { communicationSchema, contactSchema, leadStageSchema, noteSchema, staffSchema, updateContactBody } from '@server/packs/fitness/crm/dto/people';
import type { goalSchema, measurementSchema } from '@server/packs/fitness/crm/dto/progress';
import type { ContactKind, ContactStatus } from '@server/packs/fitness/crm/enums';
import type { importReportSchema } from '@server/packs/fitness/crm/routes';
import type { demoSummarySchema } from '@server/packs/fitness/demo/routes';
import { api, type QueryValue } from '../../api/client';
import type { Page } from '../../api/types';

/* The Gym area's endpoints (the fitness pack's API under /fitness, docs/fitness.md). Query keys start with 'gym'. */

export type Contact = z.output<typeof contactSchema>;
export type ContactPatch = z.input<typeof updateContactBody>;
export type LeadStage = z.output<typeof leadStageSchema>;
export type Staff = z.output<typeof staffSchema>;
export type Note = z.output<typeof noteSchema>;
export type Communication = z.output<typeof communicationSchema>;
export type Plan = z.output<typeof planSchema>;
export type Subscription = z.output<typeof subscriptionSchema>;
export type Payment = z.output<typeof paymentSchema>;
export type GymClass = z.output<typeof classSchema>;
export type Session = z.output<typeof sessionSchema>;
export type Booking = z.output<typeof bookingSchema>;
export type CheckIn = z.output<typeof checkInSchema>;
export type Goal = z.output<typeof goalSchema>;
export type Measurement = z.output<typeof measurementSchema>;
export type ImportReport = z.output<typeof importReportSchema>;
export type DemoSummary = z.output<typeof demoSummarySchema>;
export type ImportEntity = 'contacts' | 'subscriptions' | 'payments';
export type { AtRiskReport, AttendanceReport, ChurnReport, LtvReport, MrrReport, NoShowReport, ArrReport };

export interface ContactFilters {
  q?: string;
  status?: ContactStatus;
  kind?: ContactKind;
  tag?: string;
  leadStageId?: string;
  limit?: number;
  offset?: number;
  sortBy?: 'createdAt' | 'updatedAt' | 'name';
  sortOrder?: 'asc' | 'desc';
}

/** The records hanging off a contact, each a list endpoint filtered by `contactId`. */
export type ContactRecord = 'subscriptions' | 'payments' | 'bookings' | 'check-ins' | 'goals' | 'measurements' | 'communications' | 'notes';

const list = <T>(path: string, query: Record<string, QueryValue>, signal?: AbortSignal) => api.get<Page<T>>(`/fitness/${path}`, { query, signal });

/** Every row of a list (pages of 100), for the short lists the board and the week view need whole. */
async function all<T>(path: string, query: Record<string, QueryValue>, signal?: AbortSignal, max = 1000): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; offset < max; offset += 100) {
    const page = await list<T>(path, { ...query, limit: 100, offset }, signal);
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) break;
  }
  return out;
}

export const gymApi = {
  contacts: (f: ContactFilters, signal?: AbortSignal) => list<Contact>('contacts', { ...f }, signal),
  contact: (id: string, signal?: AbortSignal) => api.get<Contact>(`/fitness/contacts/${encodeURIComponent(id)}`, { signal }),
  updateContact: (id: string, patch: ContactPatch) => api.patch<Contact>(`/fitness/contacts/${encodeURIComponent(id)}`, patch),
  records: <T>(what: ContactRecord, contactId: string, page: { limit: number; offset: number }, signal?: AbortSignal) => list<T>(what, { contactId, ...page }, signal),
  addNote: (contactId: string, body: string) => api.post<Note>('/fitness/notes', { contactId, body }),

  stages: (signal?: AbortSignal) => all<LeadStage>('lead-stages', { sortBy: 'position', sortOrder: 'asc' }, signal),
  staff: (signal?: AbortSignal) => all<Staff>('staff', { sortBy: 'name', sortOrder: 'asc' }, signal),
  plans: (signal?: AbortSignal) => all<Plan>('plans', { sortBy: 'name', sortOrder: 'asc' }, signal),
  classes: (signal?: AbortSignal) => all<GymClass>('classes', { sortBy: 'name', sortOrder: 'asc' }, signal),
  /** Sessions starting in [from, to), soonest first. */
  sessions: (from: Date, to: Date, signal?: AbortSignal) =>
    all<Session>('sessions', { from: from.toISOString(), to: new Date(to.getTime() - 1).toISOString(), sortBy: 'startsAt', sortOrder: 'asc' }, signal),
  session: (id: string, signal?: AbortSignal) => api.get<Session>(`/fitness/sessions/${encodeURIComponent(id)}`, { signal }),
  sessionBookings: (sessionId: string, signal?: AbortSignal) => all<Booking>('bookings', { sessionId, sortBy: 'bookedAt', sortOrder: 'asc' }, signal),

  demo: () => api.post<DemoSummary>('/fitness/demo', {}),
  importCsv: (entity: ImportEntity, csv: string, dryRun: boolean) => api.post<ImportReport>(`/fitness/import/${entity}`, { csv }, { query: { dryRun, mode: 'all' } }),
  analytics: <T>(report: string, query: Record<string, QueryValue>, signal?: AbortSignal) => api.get<T>(`/fitness/analytics/${report}`, { query, signal }),
};

export const gymKeys = {
  all: ['gym'] as const,
  contacts: (f: ContactFilters) => ['gym', 'contacts', f] as const,
  contact: (id: string) => ['gym', 'contact', id] as const,
  records: (what: ContactRecord, contactId: string, offset: number) => ['gym', 'records', what, contactId, offset] as const,
  stages: ['gym', 'stages'] as const,
  staff: ['gym', 'staff'] as const,
  plans: ['gym', 'plans'] as const,
  classes: ['gym', 'classes'] as const,
  sessions: (from: string) => ['gym', 'sessions', from] as const,
  session: (id: string) => ['gym', 'session', id] as const,
  sessionBookings: (id: string) => ['gym', 'session-bookings', id] as const,
  leads: (stageId: string) => ['gym', 'leads', stageId] as const,
  analytics: (report: string, query: Record<string, QueryValue>) => ['gym', 'analytics', report, query] as const,
};

/** The short lists every Gym page names things from (stages, staff, plans, classes): loaded once, kept a minute. */
export const lookups = {
  stages: { queryKey: gymKeys.stages, queryFn: ({ signal }: { signal: AbortSignal }) => gymApi.stages(signal), staleTime: 60_000 },
  staff: { queryKey: gymKeys.staff, queryFn: ({ signal }: { signal: AbortSignal }) => gymApi.staff(signal), staleTime: 60_000 },
  plans: { queryKey: gymKeys.plans, queryFn: ({ signal }: { signal: AbortSignal }) => gymApi.plans(signal), staleTime: 60_000 },
  classes: { queryKey: gymKeys.classes, queryFn: ({ signal }: { signal: AbortSignal }) => gymApi.classes(signal), staleTime: 60_000 },
};

/** One contact by id (names in rosters and the board), shared with the profile page's cache. */
export const contactQuery = (id: string) => ({ queryKey: gymKeys.contact(id), queryFn: ({ signal }: { signal: AbortSignal }) => gymApi.contact(id, signal), staleTime: 30_000 });
