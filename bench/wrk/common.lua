-- Shared by every page script: counts responses by status class in each wrk thread,
-- then prints one "KEY value" line per figure in done(), which bench/pages.py parses.
-- Latencies are in microseconds, as wrk records them.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  -- Each thread has its own Lua state: seed each one differently.
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  ok_2xx = 0
  not_2xx = 0
  if prepare then prepare() end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok_2xx = ok_2xx + 1
  else
    not_2xx = not_2xx + 1
  end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("ok_2xx")
    bad = bad + thread:get("not_2xx")
  end
  io.write(string.format("STATUS_2XX %d\nSTATUS_NOT_2XX %d\n", ok, bad))
  io.write(string.format("P50_US %d\nP90_US %d\nP99_US %d\nMAX_US %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write(string.format("REQUESTS %d\nDURATION_US %d\n", summary.requests, summary.duration))
  io.write(string.format("ERR_CONNECT %d\nERR_READ %d\nERR_WRITE %d\nERR_TIMEOUT %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
