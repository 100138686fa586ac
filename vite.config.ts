import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { shoalTracker } from './server/vite-plugin.ts';

export default defineConfig({
  plugins: [sveltekit(), shoalTracker()],
  worker: { format: 'es' }
});
