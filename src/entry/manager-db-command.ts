// `cfy_manager manager-db` (hidden): the database side of installing a manager, which the installer runs
// as a child with one JSON request on stdin. The flags only; the action is in manager-db.ts.
import type { Command } from 'commander';

export function registerManagerDbCommand(program: Command): void {
  program
    .command('manager-db', { hidden: true })
    .description('Database side of installing a manager (used by install; reads JSON on stdin)')
    .action(async () => {
      // Loaded only to run: the store, the migrations and the password hashing.
      const { answerRequest } = await import('./manager-db.js');
      await answerRequest();
    });
}
