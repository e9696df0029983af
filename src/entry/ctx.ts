// `ctx`, the script plugin's client of the ctx proxy.
import { main } from '../worker/ctx-cli.js';
import { runMain } from './boundary.js';

await runMain('ctx', () => main(process.argv));
