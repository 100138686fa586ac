import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Manifest } from '../core/manifest.ts';
import type { PeerReputation } from '../core/reputation.ts';
import type { FileRole, Visibility } from './ports.ts';

/** IndexedDB layout. Chunks are content-addressed (key: the chunk's SHA-256 hex), so the hashing
 * worker can store them before the file's content id is known, and equal chunks are kept once. */
export interface ShoalDb extends DBSchema {
  files: {
    key: string;
    value: { id: string; manifest: Manifest; role: FileRole; visibility: Visibility; addedAt: number };
  };
  chunks: {
    key: string;
    value: Blob;
  };
  reputation: {
    key: string;
    value: PeerReputation;
  };
}

export const DB_NAME = 'shoal';
/** 1: files, chunks. 2: reputation. */
const DB_VERSION = 2;

export function openShoalDb(): Promise<IDBPDatabase<ShoalDb>> {
  return openDB<ShoalDb>(DB_NAME, DB_VERSION, {
    upgrade(db) {
      if (!db.objectStoreNames.contains('files')) db.createObjectStore('files', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('chunks')) db.createObjectStore('chunks');
      if (!db.objectStoreNames.contains('reputation')) db.createObjectStore('reputation', { keyPath: 'peerId' });
    }
  });
}
