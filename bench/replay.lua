-- Send each pre-built request of REQFILE once, in order, across all connections.
-- The file holds one request per line: METHOD<TAB>PATH<TAB>HEADERS-JSON-ish k=v;k=v<TAB>BODY
local reqs = {}
local i = 0

local function split(s, sep)
  local out = {}
  for piece in string.gmatch(s, "([^" .. sep .. "]*)") do
    out[#out + 1] = piece
  end
  return out
end

init = function(args)
  local f = assert(io.open(os.getenv("REQFILE"), "r"))
  for line in f:lines() do
    local method, path, hdr, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    local headers = {}
    for _, kv in ipairs(split(hdr, ";")) do
      local k, v = kv:match("^([^=]+)=(.*)$")
      if k then headers[k] = v end
    end
    if body == "" then body = nil end
    reqs[#reqs + 1] = wrk.format(method, path, headers, body)
  end
  f:close()
  -- Parsing the file left tens of MB of garbage: collect it now, then keep Lua's collector out of
  -- the run (a round makes a few MB of response strings). Its incremental steps during the run
  -- paused wrk itself and showed up as the server's latency: p99 of signed orders swung 3-20 ms
  -- with a 120k-line file and held at 3.5 ms with a 36k-line one.
  collectgarbage("collect")
  collectgarbage("stop")
end

request = function()
  i = i + 1
  if i > #reqs then i = 1 end -- wrap only if the run outlasts the file (the bench sizes it to avoid that)
  return reqs[i]
end

local reported = false
response = function(status, headers, body)
  -- Every answer must be a successful envelope: a refused signature would make the numbers lie.
  if not reported and (status ~= 200 or not string.find(body, '"code":"0"', 1, true)) then
    reported = true
    io.stderr:write("BAD " .. status .. " " .. string.sub(body, 1, 200) .. "\n")
  end
end
