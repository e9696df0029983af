import { main } from '../worker/ctx-cli.js';

await main(process.argv);
