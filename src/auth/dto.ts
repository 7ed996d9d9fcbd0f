import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from './password-rules.js';
import { ROLES } from '../shared/roles.js';

/** Request and response schemas of the auth and organization routes (reused by CLI and dashboard). */
export const roleSchema = z.enum(ROLES);
export const emailSchema = z.email().max(254).transform((e) => e.trim().toLowerCase());
export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);
export const personNameSchema = z.string().trim().min(1).max(100);
export const orgNameSchema = z.string().trim().min(1).max(100);
const isoDate = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoDateOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    isOperator: z.boolean().describe('An instance operator: may pause the run queue and read install-wide figures (troupe user operator)'),
    createdAt: isoDate,
  })
  .meta({ id: 'User' });

export const organizationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: roleSchema.describe('Your role in this organization'),
    markupPercent: z.number().describe('Billing markup over base model cost, in percent (default 20)'),
    monthlyBudgetMicros: z.number().int().nullable().describe('Monthly budget in micro-dollars; null = none'),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Organization' });

export const tokenPairSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('Seconds until the access token expires'),
  })
  .meta({ id: 'TokenPair' });

export const sessionSchema = z.object({ user: userSchema, organization: organizationSchema, tokens: tokenPairSchema });

export const signUpBody = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: personNameSchema,
  organizationName: orgNameSchema.optional().describe("Default: \"<name>'s organization\""),
  invitationToken: z.string().min(1).max(200).optional().describe('Join the inviting organization instead of creating one'),
});

/** Sign-up's answer when SMTP_URL is set: the same for an address with and without an account (decision 35). */
export const signUpMailedSchema = z
  .object({
    status: z.literal('mailed'),
    detail: z.string(),
  })
  .meta({ id: 'SignUpMailed' });
export const confirmSignUpBody = z.object({ token: z.string().min(1).max(200).describe('From the link mailed at sign-up') });

export const signInBody = z.object({ email: z.string().max(254), password: z.string().max(PASSWORD_MAX) });
export const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) });
export const setupBody = z.object({
  token: z.string().min(1).max(200),
  email: emailSchema,
  password: passwordSchema,
  name: personNameSchema,
  organizationName: orgNameSchema,
});
export const profileBody = z.object({ name: personNameSchema.optional() });
export const changePasswordBody = z.object({ currentPassword: z.string().max(256), newPassword: passwordSchema });
export const createOrgBody = z.object({ name: orgNameSchema });
export const acceptInvitationBody = z.object({ token: z.string().min(1).max(200) });

export const memberSchema = z
  .object({ userId: z.uuid(), email: z.string(), name: z.string(), role: roleSchema, joinedAt: isoDate })
  .meta({ id: 'Member' });

export const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: roleSchema,
    invitedBy: z.uuid().nullable(),
    expiresAt: isoDate,
    createdAt: isoDate,
  })
  .meta({ id: 'Invitation' });

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: roleSchema,
    prefix: z.string().describe('The first characters of the key, to tell keys apart'),
    createdBy: z.uuid().nullable(),
    createdAt: isoDate,
    lastUsedAt: isoDateOrNull,
    expiresAt: isoDateOrNull,
    revokedAt: isoDateOrNull,
  })
  .meta({ id: 'ApiKey' });

export const idParams = z.object({ id: z.string() });

/** Body of `PATCH /orgs/current`: rename (admin), billing settings (owner). */
export const updateOrgBody = z.object({
  name: orgNameSchema.optional(),
  markupPercent: z.number().min(0).max(1000).multipleOf(0.01).optional().describe('Owner only'),
  monthlyBudgetMicros: z.number().int().min(0).nullable().optional().describe('Owner only; null removes the budget'),
});

/** Body of `PATCH /members/:userId`. */
export const changeRoleBody = z.object({ role: roleSchema });

/** Body of `POST /invitations`. */
export const inviteBody = z.object({ email: emailSchema, role: roleSchema.default('member') });

/** Body of `POST /api-keys`. */
export const createApiKeyBody = z.object({
  name: z.string().trim().min(1).max(100),
  role: roleSchema.default('member').describe('At most your own role'),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
