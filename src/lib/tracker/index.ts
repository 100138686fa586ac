// Re-exports what browser and Node code may share. sqlite-store.ts is Node only: import it directly.
export * from './api.ts';
export * from './constants.ts';
export * from './errors.ts';
export * from './schemas.ts';
export * from './index-store.ts';
export * from './memory-store.ts';
export * from './registry.ts';
export * from './search-query.ts';
export * from './tracker.ts';
