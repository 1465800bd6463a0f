-- POST /ratings on the reference app (shared/bench/baseline_app.py): a random department from
-- 1 to RATINGS_BENCH_REFERENCE_DEPARTMENTS, score and comment, as its own post_rating.lua sends.
-- A stored rating is answered 201.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "closed_loop.lua")

local COMMENTS = { "", "quick+and+friendly", "long+wait", "ok", "polite+staff%2C+thanks" }
local departments

function prepare()
  departments = tonumber(os.getenv("RATINGS_BENCH_REFERENCE_DEPARTMENTS") or "")
  assert(departments and departments > 0, "set RATINGS_BENCH_REFERENCE_DEPARTMENTS to the seeded count")
end

function submission()
  local body = "department=" .. math.random(1, departments) .. "&score=" .. math.random(1, 5)
    .. "&comment=" .. COMMENTS[math.random(1, #COMMENTS)]
  return wrk.format("POST", "/ratings", { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function acknowledged(status, body)
  return status == 201
end
