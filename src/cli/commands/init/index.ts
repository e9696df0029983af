// `cfy init`: create ~/.cloudify, its config.yaml and the `local` profile.
import type { Command } from 'commander';
import { lazy } from '../shared.js';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('Initialize the CLI working directory (~/.cloudify or $CFY_WORKDIR/.cloudify)')
    .argument('[blueprint-path]', 'a local blueprint to initialize (local mode: not implemented in Stratus)')
    .option('-r, --reset-context', 'reset the working directory')
    .option('--hard', 'also delete every profile')
    .option('--enable-colors', 'colour the output')
    .action(lazy(() => import('./init.js')));
}
