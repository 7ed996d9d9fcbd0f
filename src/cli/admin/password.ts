import { CliError } from '../run.js';
import { readStdin } from '../input.js';

/**
 * The password for `user create`: `--password`, else stdin when asked with `--password-stdin`
 * or when stdin is piped (one trailing newline dropped). A terminal is never read implicitly, so a
 * command without a password fails instead of waiting.
 */
export async function resolvePassword(opts: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (opts.password !== undefined && opts.passwordStdin) throw new CliError('use either --password or --password-stdin, not both');
  if (opts.password !== undefined) return opts.password;
  if (!opts.passwordStdin && process.stdin.isTTY) {
    throw new CliError('no password given: pipe it in with --password-stdin (e.g. `printf %s "$PASSWORD" | troupe user create … --password-stdin`) or pass --password');
  }
  return (await readStdin()).replace(/\r?\n$/, '');
}
