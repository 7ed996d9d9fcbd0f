import argon2 from 'argon2';

/** argon2id with the library defaults (m=64 MiB, t=3, p=4): ~60 ms per hash on this class of machine. */
export const hashPassword = (password: string) => argon2.hash(password, { type: argon2.argon2id });

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Spends the same time as a real check when the account does not exist, so response time does not
 * tell an attacker which emails have accounts.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('troupe-timing-equalizer');
  await verifyPassword(await dummy, password);
}

export { PASSWORD_MAX, PASSWORD_MIN } from './password-rules.js';
