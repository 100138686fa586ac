// Every page is a live peer (IndexedDB, WebRTC, workers): render in the browser only.
export const ssr = false;
export const prerender = false;
