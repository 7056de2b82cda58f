// Forwarder: the benchmark's CNI helpers moved to bench/density/cni.ts (kept for test/e2e/network.test.ts).
// Avoids breaking that test's import; delete once it imports from bench/density directly.
export * from '../../bench/density/cni.js';
