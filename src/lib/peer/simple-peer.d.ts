declare module 'simple-peer/simplepeer.min.js' {
  const SimplePeer: new (opts?: unknown) => unknown;
  export default SimplePeer;
}
