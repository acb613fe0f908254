/** A mini-program build's version as its X-Client-Version header carries it: `major.minor.patch`. */
export type ClientVersion = readonly [major: number, minor: number, patch: number];

// at most 6 digits a part: a version, not a number to overflow
const VERSION = /^v?(\d{1,6})\.(\d{1,6})\.(\d{1,6})$/;

/** `1.4.2` (or `v1.4.2`) → [1, 4, 2]; anything else → null. Pre-release tags are not part of the contract. */
export function parseClientVersion(text: string): ClientVersion | null {
  const match = VERSION.exec(text.trim());
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** True when `version` is older than `minimum` (numeric comparison, part by part). */
export function isOlderThan(version: ClientVersion, minimum: ClientVersion): boolean {
  for (let part = 0; part < 3; part++) {
    if (version[part] !== minimum[part]) return version[part] < minimum[part];
  }
  return false;
}
