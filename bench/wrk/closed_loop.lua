-- Closed-loop submissions for bench/ratings.py: every submission sent is also answered before
-- wrk stops, so the rows stored can be compared exactly with the submissions acknowledged.
--
-- wrk stops at -d and drops the requests still in flight. So the script sends submissions only
-- for RATINGS_BENCH_SECONDS; after that each connection, once its last submission is answered,
-- sends an unfinished request (headers without their final blank line) that the server keeps
-- waiting for: no response, so nothing more is counted or timed. When every submission sent has
-- been answered the thread prints DRAINED, and bench/ratings.py stops wrk (SIGINT, after which
-- wrk still reports); wrk's own -d is only the bound. SENT and ANSWERED in the report show
-- whether every submission was answered.
--
-- A script that dofile()s this one defines:
--   submission()               the next request (a string made by wrk.format)
--   acknowledged(status, body, headers) true when the answer tells the user the submission is stored
--   prepare()                  optional, once per thread before the first request
-- Latencies are in microseconds, as wrk records them; only answered submissions are timed.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } ratings_bench_timespec;
  int clock_gettime(int clock_id, ratings_bench_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock_now = ffi.new("ratings_bench_timespec")

function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock_now)
  return tonumber(clock_now.tv_sec) * 1000000 + math.floor(tonumber(clock_now.tv_nsec) / 1000)
end

local PARKED = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Ratings-Bench: parked\r\n"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + (thread_index or 0) * 7919)
  submit_us = 1e6 * assert(tonumber(os.getenv("RATINGS_BENCH_SECONDS") or ""), "set RATINGS_BENCH_SECONDS")
  sent, parked = 0, 0
  answered, acknowledged_count, other_2xx, status_4xx, status_5xx, status_other = 0, 0, 0, 0, 0, 0
  first_us, last_answer_us, deadline_us, drained = 0, 0, nil, false
  -- Before the run wrk calls request() once on its first thread to check what it returns;
  -- that request is never sent, so it is not counted and starts no clock.
  checking = thread_index == 1
  if prepare then prepare() end
end

local function check_drained(now)
  if not drained and deadline_us ~= nil and now >= deadline_us and answered == sent then
    drained = true
    io.write("DRAINED\n")
    io.flush()
  end
end

request = function()
  if checking then
    checking = false
    return submission()
  end
  local now = now_us()
  if deadline_us == nil then
    first_us = now
    deadline_us = now + submit_us
  end
  if now >= deadline_us then
    parked = parked + 1
    check_drained(now)
    return PARKED
  end
  sent = sent + 1
  return submission()
end

response = function(status, headers, body)
  -- Parked requests are never answered: every response is a submission's.
  answered = answered + 1
  last_answer_us = now_us()
  check_drained(last_answer_us)
  if acknowledged(status, body, headers) then
    acknowledged_count = acknowledged_count + 1
  elseif status >= 200 and status < 300 then
    other_2xx = other_2xx + 1
  elseif status >= 400 and status < 500 then
    status_4xx = status_4xx + 1
  elseif status >= 500 then
    status_5xx = status_5xx + 1
  else
    status_other = status_other + 1
  end
end

function done(summary, latency, requests)
  local totals = { sent = 0, parked = 0, answered = 0, acknowledged_count = 0, other_2xx = 0, status_4xx = 0,
                   status_5xx = 0, status_other = 0 }
  local first, last = nil, 0
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + thread:get(key)
    end
    local started = thread:get("first_us")
    if started > 0 and (first == nil or started < first) then first = started end
    last = math.max(last, thread:get("last_answer_us"))
  end
  io.write(string.format("SENT %d\nANSWERED %d\nACKNOWLEDGED %d\nOTHER_2XX %d\nSTATUS_4XX %d\nSTATUS_5XX %d\n",
    totals.sent, totals.answered, totals.acknowledged_count, totals.other_2xx, totals.status_4xx, totals.status_5xx))
  io.write(string.format("STATUS_OTHER %d\nPARKED %d\nWINDOW_US %d\n", totals.status_other, totals.parked,
    math.max(0, last - (first or last))))
  io.write(string.format("P50_US %d\nP90_US %d\nP99_US %d\nMAX_US %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write(string.format("REQUESTS %d\nDURATION_US %d\n", summary.requests, summary.duration))
  io.write(string.format("ERR_CONNECT %d\nERR_READ %d\nERR_WRITE %d\nERR_TIMEOUT %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
