import { InitUsers1763942400000 } from './1763942400000-init-users';

/** Every migration, oldest first. Listed explicitly so the build needs no file globbing. */
export const migrations = [InitUsers1763942400000];
