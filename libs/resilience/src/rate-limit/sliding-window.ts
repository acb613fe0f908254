/** What one limiter check decided; times in milliseconds. */
export interface SlidingWindowDecision {
  /** Requests counted in the window, this one included when allowed. */
  count: number;
  allowed: boolean;
  /** Until the oldest counted request leaves the window (a slot frees up). */
  resetMs: number;
  /** Until a block set by blockDuration ends; 0 when none. */
  blockedForMs: number;
}

/**
 * A sliding-window log: each allowed request is remembered for one window, so the limit
 * holds over every window-long interval (no burst of 2×limit at a fixed-window edge).
 * Rejected requests are not remembered, so a client that keeps hammering gets a slot back
 * as soon as its oldest request ages out. Memory is at most `limit` entries per key.
 */
export interface SlidingWindowStore {
  hit(key: string, windowMs: number, limit: number, blockMs: number): Promise<SlidingWindowDecision>;
}

/**
 * The Redis version runs as one Lua script (one round trip, atomic across instances) and
 * uses the Redis server's clock, so instances with skewed clocks still agree.
 * KEYS[1] log key, KEYS[2] block key; ARGV: window ms, limit, block ms, unique member.
 */
export const SLIDING_WINDOW_LUA = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])

local blocked_for = redis.call('PTTL', KEYS[2])
if blocked_for > 0 then
  return {limit, 0, blocked_for, blocked_for}
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {count + 1, 1, tonumber(oldest[2]) + window - now, 0}
end

local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = tonumber(oldest[2]) + window - now
if block > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return {count, 0, reset, block}
end
return {count, 0, reset, 0}
`;
