import type { Role } from '@app/http';

/** What an account may do now, read again at every refresh. */
export interface AccountStanding {
  role: Role;
  disabled: boolean;
}

/** Reads an account of one kind; null when it no longer exists. */
export type AccountLookup = (id: number) => Promise<AccountStanding | null>;

// higher is more access; a session whose account now ranks lower ends
const ROLE_RANK: Record<Role, number> = { user: 0, operator: 1, admin: 2 };

/** Disabled, gone, or ranked below the role the session holds (an unknown role never passes). */
export const lowersAccess = (heldRole: string, standing: AccountStanding | null): boolean =>
  !standing || standing.disabled || (ROLE_RANK[standing.role] ?? -1) < (ROLE_RANK[heldRole as Role] ?? Number.POSITIVE_INFINITY);
