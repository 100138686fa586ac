import { indexStoreContract } from '../server/tracker/index-store.contract.ts';
import { MemoryIndexStore } from './memory-index-store.ts';

indexStoreContract('memory', async () => new MemoryIndexStore());
