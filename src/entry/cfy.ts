// `cfy`: the CLI has its own boundary (src/cli/report.ts) that maps errors to Cloudify's exit codes.
import { main } from '../cli/main.js';
import { runMain } from './boundary.js';

await runMain('cfy', () => main(process.argv));
