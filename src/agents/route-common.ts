import { z } from 'zod';
import { problemResponses } from '../http/problem.js';

/** Shared by the agent route files. */
export const tags = ['agents'];
export const errors = problemResponses;
/** Ids are plain strings here so a malformed id answers 404 like any unknown one (the service checks the format). */
export const idParams = z.object({ id: z.string().max(100).describe('Agent id (UUID)') });
