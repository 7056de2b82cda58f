// Forwarder: the benchmark's subnet arithmetic moved to bench/density/subnet.ts (kept for test/e2e/network.test.ts).
// Avoids breaking that test's import; delete once it imports from bench/density directly.
export * from '../../bench/density/subnet.js';
