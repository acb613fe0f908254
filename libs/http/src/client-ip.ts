/**
 * The part of a client address that per-IP limits and lockouts count: an IPv4 address whole, an
 * IPv6 address by its /64. One IPv6 subscriber usually holds a whole /64 (often a /56 or /48), so
 * keyed by full address every request of an attacker could come from a fresh one, each with a
 * fresh allowance; a /64 is what one household or one server gets, so legitimate neighbours rarely
 * share it. IPv4-mapped addresses (`::ffff:203.0.113.7`, what a dual-stack socket reports) count
 * as the IPv4 address they carry.
 */
export function ipBucket(ip: string): string {
  // IPv4, the usual case, as is: one character scan
  if (!ip.includes(':')) return ip;
  const address = ip.toLowerCase().split('%')[0];
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped) return mapped[1];
  const halves = address.split('::');
  if (halves.length > 2) return address;
  const groupsOf = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  // a dotted IPv4 tail (…:1.2.3.4) stands for two groups; it never reaches the first four
  const tailLength = tail.length + (tail.at(-1)?.includes('.') ? 1 : 0);
  const groups = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tailLength)).fill('0'), ...tail] : head;
  const prefix = groups.slice(0, 4).map((group) => (Number.parseInt(group, 16) || 0).toString(16));
  if (prefix.length < 4) return address;
  return `${prefix.join(':')}::/64`;
}
