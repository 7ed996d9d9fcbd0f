import type { z } from 'zod';
import type { connectionTestSchema } from '@server/models/api-schemas';
import type { CredentialBody } from '@server/models/dto';
import { api } from '../../api/client';

export type ConnectionTest = z.output<typeof connectionTestSchema>;

/** POST /credentials/:provider/test: the candidate in `body` (not saved), else the stored credential. */
export const testCredential = (provider: string, body?: CredentialBody) => api.post<ConnectionTest>(`/credentials/${encodeURIComponent(provider)}/test`, body ?? {});
