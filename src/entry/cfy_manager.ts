import { main } from '../installer/main.js';

await main(process.argv);
