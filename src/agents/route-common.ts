import { z } from 'zod';
import { problemSchema } from '../api/problem.js';

/** Shared by the agent route files. */
export const tags = ['agents'];
export const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
/** Ids are plain strings here so a malformed id answers 404 like any unknown one (the service checks the format). */
export const idParams = z.object({ id: z.string().max(100).describe('Agent id (UUID)') });
