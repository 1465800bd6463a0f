-- GET / : the public home page (the department directory).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

request = function()
  return wrk.format("GET", "/")
end
