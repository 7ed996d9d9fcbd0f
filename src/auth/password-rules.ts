/**
 * Password length limits, apart from the hashing code so that schemas shared with the browser
 * (dto.ts, imported by the dashboard) do not pull in argon2.
 */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;
