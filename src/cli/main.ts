// `cfy`: the user's command. Thin for now; the full CLI is issue 5.
import { Command } from 'commander';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('cfy')
    .description('Cloudify-compatible command line for Stratus')
    .version('0.1.0');
  await program.parseAsync(argv);
}
