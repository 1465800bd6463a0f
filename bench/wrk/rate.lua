-- POST /departments/{code}/ratings, each submission from a browser of its own: a voter cookie
-- never used before, as if a new citizen had just loaded the page, and the fixed CSRF cookie
-- and form field pair the server gave bench/ratings.py (the check compares the two).
-- Sent as htmx sends the form, so a stored rating is answered 200 with the thank-you fragment.
--
-- RATINGS_BENCH_DEPARTMENTS_CSV  the departments CSV the demo data is loaded from (codes)
-- RATINGS_BENCH_CSRF             a CSRF token the server issued
-- RATINGS_BENCH_REASONS          comma list of reason ids, for the negative levels
-- RATINGS_BENCH_RUN              a tag that makes this run's voter ids its own
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "closed_loop.lua")

local THANKS = "感谢您的评价"
-- Levels as citizens choose them, best to worst (about one in ten negative).
local LEVELS = { { "very_satisfied", 35 }, { "satisfied", 35 }, { "basic", 20 }, { "unsatisfied", 7 },
                 { "very_unsatisfied", 3 } }
local NEGATIVE = { unsatisfied = true, very_unsatisfied = true }
local CRITERIA = { "timeliness", "completeness", "accuracy", "usefulness", "accessibility" }
local COMMENTS = { "办事指南写得很清楚，一次就办成了。", "财政预决算公开及时。", "在网站上找了半天才找到政策文件。" }
local VOTER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local codes, reasons, csrf, run_tag = {}, {}, nil, nil

local function form_encode(text)
  return (text:gsub("[^%w%-_%.~]", function(char) return string.format("%%%02X", string.byte(char)) end))
end

local function pick_level()
  local roll, total = math.random(1, 100), 0
  for _, entry in ipairs(LEVELS) do
    total = total + entry[2]
    if roll <= total then return entry[1] end
  end
  return LEVELS[1][1]
end

local function new_voter_id()
  local chars = {}
  for i = 1, 24 do
    local at = math.random(1, #VOTER_ALPHABET)
    chars[i] = VOTER_ALPHABET:sub(at, at)
  end
  -- Unique by construction (run, thread, count), random like a real one after that.
  return string.format("b%s-%d-%d-%s", run_tag, thread_index or 0, sent, table.concat(chars))
end

function prepare()
  local path = os.getenv("RATINGS_BENCH_DEPARTMENTS_CSV")
  local file = assert(io.open(path or "", "r"), "set RATINGS_BENCH_DEPARTMENTS_CSV to the departments CSV")
  local header = true
  for line in file:lines() do
    local code = line:gsub("\r$", ""):match("^([^,]+)")
    if header then header = false elseif code then table.insert(codes, code) end
  end
  file:close()
  assert(#codes > 0, "no department codes in " .. path)
  csrf = assert(os.getenv("RATINGS_BENCH_CSRF"), "set RATINGS_BENCH_CSRF")
  for id in (os.getenv("RATINGS_BENCH_REASONS") or ""):gmatch("%d+") do table.insert(reasons, id) end
  assert(#reasons > 0, "set RATINGS_BENCH_REASONS")
  run_tag = assert(os.getenv("RATINGS_BENCH_RUN"), "set RATINGS_BENCH_RUN")
  for i, comment in ipairs(COMMENTS) do COMMENTS[i] = form_encode(comment) end
end

function submission()
  local code = codes[math.random(1, #codes)]
  local level = pick_level()
  local fields = { "_csrf_token=" .. csrf, "level=" .. level }
  if math.random() < 0.3 then
    table.insert(fields, "criterion_" .. CRITERIA[math.random(1, #CRITERIA)] .. "=" .. pick_level())
  end
  if NEGATIVE[level] then
    table.insert(fields, "reason=" .. reasons[math.random(1, #reasons)])
    table.insert(fields, "reason_text=" .. COMMENTS[3])
  end
  if math.random() < 0.3 then
    table.insert(fields, "comment=" .. COMMENTS[math.random(1, #COMMENTS)])
  end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. csrf .. "; voter=" .. new_voter_id(),
    ["HX-Request"] = "true",
    ["HX-Target"] = "rating",
  }
  return wrk.format("POST", "/departments/" .. code .. "/ratings", headers, table.concat(fields, "&"))
end

function acknowledged(status, body)
  return status == 200 and body ~= nil and body:find(THANKS, 1, true) ~= nil
end
