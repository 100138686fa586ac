import { presenceContract } from '../server/tracker/presence.contract.ts';
import { MemoryPresence } from './presence.ts';

presenceContract('memory', async () => new MemoryPresence({ maxContactsPerPeer: 3 }));
