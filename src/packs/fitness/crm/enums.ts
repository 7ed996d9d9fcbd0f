// The fitness CRM's enumerations: pure data, shared by the tables, the API shapes and the dashboard.

/** A contact's place in the gym's life cycle: leads and trials are prospects, the rest members (current or past). */
export const CONTACT_STATUSES = ['lead', 'trial', 'active', 'frozen', 'cancelled', 'former'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];
/** `kind` is derived from the status: lead and trial are leads, every other status a member. */
export const CONTACT_KINDS = ['lead', 'member'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];
export const LEAD_STATUSES = ['lead', 'trial'] as const satisfies readonly ContactStatus[];
export const MEMBER_STATUSES = ['active', 'frozen', 'cancelled', 'former'] as const satisfies readonly ContactStatus[];
export const kindOfStatus = (status: ContactStatus): ContactKind => ((LEAD_STATUSES as readonly string[]).includes(status) ? 'lead' : 'member');

export const STAFF_ROLES = ['owner', 'manager', 'trainer', 'front_desk', 'sales'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const BILLING_INTERVALS = ['week', 'month', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

export const SUBSCRIPTION_STATUSES = ['active', 'paused', 'cancelled', 'past_due'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const PAYMENT_STATUSES = ['succeeded', 'failed', 'refunded', 'partially_refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const PAYMENT_METHODS = ['card', 'direct_debit', 'bank_transfer', 'cash', 'other'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const SESSION_STATUSES = ['scheduled', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const BOOKING_KINDS = ['class', 'trial', 'facility_tour'] as const;
export type BookingKind = (typeof BOOKING_KINDS)[number];
export const BOOKING_STATUSES = ['booked', 'attended', 'no_show', 'cancelled'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
/** Bookings that take a place in their session (capacity counts them). */
export const SEAT_TAKING_STATUSES = ['booked', 'attended'] as const satisfies readonly BookingStatus[];

export const CHECK_IN_SOURCES = ['front_desk', 'kiosk', 'app', 'booking', 'import', 'other'] as const;
export type CheckInSource = (typeof CHECK_IN_SOURCES)[number];

export const GOAL_KINDS = ['weight', 'body_fat', 'pr', 'attendance'] as const;
export type GoalKind = (typeof GOAL_KINDS)[number];
export const GOAL_STATUSES = ['active', 'achieved', 'abandoned'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export const WORKOUT_PLAN_AUTHORS = ['agent', 'staff'] as const;
export type WorkoutPlanAuthor = (typeof WORKOUT_PLAN_AUTHORS)[number];

export const COMMUNICATION_CHANNELS = ['email', 'sms', 'chat', 'call', 'note'] as const;
export type CommunicationChannel = (typeof COMMUNICATION_CHANNELS)[number];
export const COMMUNICATION_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CommunicationDirection = (typeof COMMUNICATION_DIRECTIONS)[number];
export const COMMUNICATION_STATUSES = ['queued', 'sent', 'delivered', 'failed', 'received', 'logged'] as const;
export type CommunicationStatus = (typeof COMMUNICATION_STATUSES)[number];
