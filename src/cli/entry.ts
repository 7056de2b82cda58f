// Bundle entry point: re-exports main() for bin/rind.
// Kept separate so the bundle has exactly one public function.
export { main } from './main.js';
