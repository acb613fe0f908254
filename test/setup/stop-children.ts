import { stopLeftoverChildren } from '../support/child-app';

// Runs after each e2e file's own afterAll hooks: anything still running was leaked by a
// failed hook. Killing it keeps the run from hanging; the failure itself is already reported.
afterAll(async () => {
  const stopped = await stopLeftoverChildren();
  if (stopped > 0) process.stderr.write(`stopped ${stopped} service process(es) a test left running\n`);
});
