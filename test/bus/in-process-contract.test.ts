import { describe } from 'node:test';
import { createInProcessBus } from '../../src/bus/in-process.js';
import { busContract } from './contract.js';

describe('bus contract [in-process]', () => {
  busContract({ open: async () => createInProcessBus() });
});
