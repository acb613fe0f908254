import { startServer } from './server';

// `npm start` runs the bundled build (dist/api/main.js), which calls startServer() itself;
// this entry is the unbundled one, for `nest start` and debugging.
void startServer();
