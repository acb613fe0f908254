import { ipBucket } from './client-ip';

describe('ipBucket', () => {
  it('keeps IPv4 addresses whole', () => {
    expect(ipBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('127.0.0.1')).toBe('127.0.0.1');
  });

  it('counts an IPv4-mapped IPv6 address (dual-stack sockets) as its IPv4 address', () => {
    expect(ipBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('::FFFF:198.51.100.1')).toBe('198.51.100.1');
  });

  it('buckets IPv6 by /64, whatever the notation', () => {
    const bucket = '2001:db8:1:2::/64';
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:9', '2001:db8:1:2:a:b:c:d%eth0']) {
      expect(ipBucket(address)).toBe(bucket);
    }
    expect(ipBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(ipBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipBucket('::1')).toBe('0:0:0:0::/64');
    expect(ipBucket('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(ipBucket('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });

  it('leaves something that is no address as it came', () => {
    expect(ipBucket('1::2::3')).toBe('1::2::3');
    expect(ipBucket('1:2:3')).toBe('1:2:3');
  });
});
