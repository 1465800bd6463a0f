-- POST /surveys/{code}: the one page of the bench survey submitted whole, each from a browser of
-- its own (a respondent cookie never used before) with the CSRF cookie and field pair the server
-- gave bench/surveys.py. A stored response is answered 303 to the thank-you (?done=1).
--
-- SURVEY_BENCH_CODE     the survey's code
-- SURVEY_BENCH_BODIES   a file of form bodies, one a line: answers citizens might give, urlencoded
-- SURVEY_BENCH_CSRF     a CSRF token the server issued
-- RATINGS_BENCH_RUN     a tag that makes this run's respondent ids its own
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "closed_loop.lua")

local bodies, csrf, code, run_tag = {}, nil, nil, nil

function prepare()
  local path = os.getenv("SURVEY_BENCH_BODIES")
  local file = assert(io.open(path or "", "r"), "set SURVEY_BENCH_BODIES to the file of form bodies")
  for line in file:lines() do
    if #line > 0 then table.insert(bodies, line) end
  end
  file:close()
  assert(#bodies > 0, "no form bodies in " .. path)
  csrf = assert(os.getenv("SURVEY_BENCH_CSRF"), "set SURVEY_BENCH_CSRF")
  code = assert(os.getenv("SURVEY_BENCH_CODE"), "set SURVEY_BENCH_CODE")
  run_tag = assert(os.getenv("RATINGS_BENCH_RUN"), "set RATINGS_BENCH_RUN")
end

function submission()
  -- Unique by construction (run, thread, count), like a new browser's cookie.
  local respondent = string.format("s%s-%d-%d-%08x", run_tag, thread_index or 0, sent, math.random(0, 0x7fffffff))
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. csrf .. "; respondent=" .. respondent,
  }
  local body = "_csrf_token=" .. csrf .. "&" .. bodies[math.random(1, #bodies)]
  return wrk.format("POST", "/surveys/" .. code, headers, body)
end

function acknowledged(status, body, headers)
  local location = headers and (headers["Location"] or headers["location"]) or ""
  return status == 303 and location:find("done=1", 1, true) ~= nil
end
