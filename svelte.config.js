import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // `npm run build` (scripts/build.ts) builds into a fresh builds/<stamp>/ and swaps `build` to it
    // once complete, so a running server is never served half a build; a bare `vite build` writes
    // build/ itself.
    adapter: adapter({ out: process.env.SHOAL_BUILD_OUT || 'build' }),
    typescript: {
      config(tsconfig) {
        tsconfig.include.push('../server/**/*.ts', '../cli/**/*.ts', '../tests/**/*.ts', '../bench/**/*.ts', '../scripts/**/*.ts', '../vitest.config.ts');
        return tsconfig;
      }
    }
  }
};

export default config;
