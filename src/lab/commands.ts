import type { Command } from 'commander';

// Placeholder until the lab (issue 6) lands: registers nothing yet.
export function registerLabCommands(_program: Command): void {}
