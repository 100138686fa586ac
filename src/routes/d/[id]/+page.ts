import { parseContentId } from '$lib/core/manifest.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params }) => {
  try {
    return { id: parseContentId(params.id), idError: '' };
  } catch (err) {
    return { id: '', idError: (err as Error).message };
  }
};
