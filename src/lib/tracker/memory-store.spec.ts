import { indexStoreContract } from '../server/tracker/index-store.contract.ts';
import { MemoryIndexStore } from './memory-store.ts';

indexStoreContract('memory', async () => new MemoryIndexStore());
