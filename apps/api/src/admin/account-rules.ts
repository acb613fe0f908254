/** Dashboard usernames: lower case, so "Root" and "root" are one account (sign-in lowercases too). */
export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,64}$/;

/** argon2 takes any length; this bounds the work one request can ask for. */
export const MAX_PASSWORD_LENGTH = 256;
