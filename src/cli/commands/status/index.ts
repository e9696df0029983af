import type { Command } from 'commander';
import { lazy } from '../shared.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("Show the manager's services and their status")
    .action(lazy(() => import('./status.js')));
}
