-- GET /departments/{id} on the reference app (shared/bench/baseline_app.py), with a random
-- department id from 1 to PAGES_BENCH_REFERENCE_DEPARTMENTS per request.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local departments

function prepare()
  departments = tonumber(os.getenv("PAGES_BENCH_REFERENCE_DEPARTMENTS") or "")
  assert(departments and departments > 0, "set PAGES_BENCH_REFERENCE_DEPARTMENTS to the seeded count")
end

request = function()
  return wrk.format("GET", "/departments/" .. math.random(1, departments))
end
