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
 * The Redis version runs as one Lua script (atomic across instances) and uses the Redis
 * server's clock, so instances with skewed clocks still agree. The store sends every check
 * that arrives in one event-loop turn as a single EVALSHA (see RedisSlidingWindowStore),
 * with the checks on the same key folded into one group of `n` requests: the group is
 * decided as n back-to-back single checks would be (the first `limit - count` pass), with
 * one ZADD for all of them. A client hammering one key costs one group per turn, not n.
 * For group i (1-based): KEYS[2i-1] log key, KEYS[2i] block key;
 * ARGV[5i-4..5i]: window ms, limit, block ms, n, unique member prefix.
 * Returns 4 integers per group: count before the group, allowed (how many of the n pass),
 * reset ms (until the oldest counted request leaves the window), blocked-for ms.
 */
export const SLIDING_WINDOW_BATCH_LUA = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local result = {}
for i = 1, #KEYS / 2 do
  local log_key = KEYS[2 * i - 1]
  local block_key = KEYS[2 * i]
  local window = tonumber(ARGV[5 * i - 4])
  local limit = tonumber(ARGV[5 * i - 3])
  local block = tonumber(ARGV[5 * i - 2])
  local n = tonumber(ARGV[5 * i - 1])
  local member = ARGV[5 * i]
  local count, allowed, reset, blocked_for

  local block_ttl = 0
  if block > 0 then block_ttl = redis.call('PTTL', block_key) end
  if block_ttl > 0 then
    count, allowed, reset, blocked_for = limit, 0, block_ttl, block_ttl
  else
    redis.call('ZREMRANGEBYSCORE', log_key, '-inf', now - window)
    count = redis.call('ZCARD', log_key)
    allowed = math.max(0, math.min(n, limit - count))
    if allowed > 0 then
      local entries = {}
      for j = 1, allowed do
        entries[2 * j - 1] = now
        entries[2 * j] = now .. ':' .. member .. ':' .. j
      end
      redis.call('ZADD', log_key, unpack(entries))
      redis.call('PEXPIRE', log_key, window)
    end
    reset, blocked_for = 0, 0
    local oldest = redis.call('ZRANGE', log_key, 0, 0, 'WITHSCORES')
    if oldest[2] then reset = tonumber(oldest[2]) + window - now end
    if allowed < n and block > 0 then
      redis.call('SET', block_key, '1', 'PX', block)
      blocked_for = block
    end
  end
  local base = 4 * (i - 1)
  result[base + 1], result[base + 2], result[base + 3], result[base + 4] = count, allowed, reset, blocked_for
end
return result
`;
