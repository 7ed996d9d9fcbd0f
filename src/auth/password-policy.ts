import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../shared/errors.js';

/**
 * How many of the most common passwords are refused. The list is zxcvbn-ts's (ranked by how often
 * each appeared in leaked password sets, most common first), from a maintained package rather than
 * a copy here; only the 10,000 most common are refused, which is what NIST SP 800-63B asks for
 * ("commonly-used, expected, or compromised") without refusing ordinary words.
 */
export const COMMON_PASSWORDS_REFUSED = 10_000;

let common: Set<string> | undefined;
/** Loaded on first use: the package decompresses its ~49,000 entries when imported. */
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).slice(0, COMMON_PASSWORDS_REFUSED));
  return common;
}

/**
 * Why a new password is refused, or null when it is acceptable. Length is checked by the
 * schemas (password-rules.ts); this adds what the browser cannot check cheaply:
 * - one of the 10,000 most common passwords, in any letter case (the list is lower case, and
 *   "Password123" is no better than "password123");
 * - the email address, or its part before the @, in any case: the first things an attacker tries.
 */
export function passwordProblem(password: string, email: string): string | null {
  const candidate = password.trim().toLowerCase();
  if (commonPasswords().has(candidate)) return 'is one of the most common passwords; choose another';
  const address = email.trim().toLowerCase();
  const local = address.slice(0, address.lastIndexOf('@'));
  if (candidate === address || (local && candidate === local)) return 'must not be your email address';
  return null;
}

/** Throws 400 `weak_password` naming `path` when `passwordProblem` finds one. */
export function assertPasswordAllowed(password: string, email: string, path = 'body.password'): void {
  const problem = passwordProblem(password, email);
  if (problem) throw new AppError(400, 'weak_password', `The password ${problem}`, [{ path, message: problem }]);
}
