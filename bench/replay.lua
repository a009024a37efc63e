-- wrk script: sends each pre-signed request of the file once, spread over the threads.
-- Usage: wrk -t T -c C -d 600s -s bench/replay.lua http://host:port -- requests.tsv T [FILLER_PATH MARKER]
-- Each line of requests.tsv: <path> TAB <header: value|header: value…> TAB <body>.
-- When a thread has sent all of its share it asks for a cheap filler document (default: the JWKS,
-- recognised by '"keys"' in its answer) until its last answers are in; those extra requests are not
-- counted as events.
-- Latency percentiles are wrk's, over every request it timed.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  requests = {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local h = {}
      for pair in headers:gmatch("[^|]+") do
        local k, v = pair:match("^([^:]+): (.*)$")
        h[k] = v
      end
      table.insert(requests, wrk.format("POST", path, h, body))
    end
    i = i + 1
  end
  extra = wrk.format("GET", args[3] or "/.well-known/jwks.json")
  marker = args[4] or '"keys"'
  sent, answered, non2xx = 0, 0, 0
end

function request()
  -- wrk calls request() once per thread before sending anything and throws that one away
  if not primed then
    primed = true
    return extra
  end
  sent = sent + 1
  if sent <= #requests then
    return requests[sent]
  end
  return extra
end

function response(status, headers, body)
  if body and body:find(marker, 1, true) then
    return
  end
  answered = answered + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if answered >= #requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local events, failures = 0, 0
  for _, thread in ipairs(threads) do
    events = events + thread:get("answered")
    failures = failures + thread:get("non2xx")
  end
  io.write(string.format("RESULT events=%d non2xx=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f\n",
    events, failures, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000))
end
