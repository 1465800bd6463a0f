-- GET /departments/{code} with a random department code per request.
-- The codes are read from the CSV the demo data is loaded from (first column, header skipped);
-- PAGES_BENCH_DEPARTMENTS_CSV names the file.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local codes = {}

function prepare()
  local path = os.getenv("PAGES_BENCH_DEPARTMENTS_CSV")
  local file = assert(io.open(path or "", "r"), "set PAGES_BENCH_DEPARTMENTS_CSV to the departments CSV")
  local header = true
  for line in file:lines() do
    local code = line:gsub("\r$", ""):match("^([^,]+)")
    if header then
      header = false
    elseif code then
      table.insert(codes, code)
    end
  end
  file:close()
  assert(#codes > 0, "no department codes in " .. path)
end

request = function()
  return wrk.format("GET", "/departments/" .. codes[math.random(1, #codes)])
end
